import type { Fixture, HandlerBehavior, ResolvedRetryPolicy, ServiceDefinition } from './behavior.js'
import { checkDistribution, resolveRetryPolicy } from './behavior.js'
import { INVOCATION_ID, type ServiceType } from './invocation.js'

export type HandlerKind = 'exclusive' | 'shared' | 'workflow'

export interface HandlerInfo {
  name: string
  /** undefined for plain services, as Restate's `ty: null`. */
  kind: HandlerKind | undefined
  behavior: HandlerBehavior
  policy: ResolvedRetryPolicy
}

export interface ServiceInfo {
  name: string
  type: ServiceType
  concurrency: number
  handlers: Map<string, HandlerInfo>
}

/** The services of a fixture, resolved: types, handler kinds and retry policies. */
export class Catalog {
  readonly services = new Map<string, ServiceInfo>()

  constructor (fixture: Fixture) {
    for (const def of fixture.services) {
      this.services.set(def.name, resolveService(def, fixture))
    }
  }

  get (name: string): ServiceInfo | undefined { return this.services.get(name) }
}

function resolveService (def: ServiceDefinition, fixture: Fixture): ServiceInfo {
  const type = def.type ?? 'service'
  const handlers = new Map<string, HandlerInfo>()
  for (const [name, behavior] of Object.entries(def.handlers)) {
    handlers.set(name, {
      name,
      kind: handlerKind(type, name, behavior),
      behavior,
      policy: resolveRetryPolicy(fixture.retryPolicy, def.retryPolicy, behavior.retryPolicy)
    })
  }
  return { name: def.name, type, concurrency: def.concurrency ?? Infinity, handlers }
}

function handlerKind (type: ServiceType, name: string, behavior: HandlerBehavior): HandlerKind | undefined {
  if (type === 'service') return undefined
  if (behavior.kind !== undefined) return behavior.kind
  if (type === 'workflow') return name === 'run' ? 'workflow' : 'shared'
  return 'exclusive'
}

/**
 * Semantic checks TypeBox cannot express; each problem is `[json path, message]`.
 */
export function checkFixture (fixture: Fixture): Array<[string, string]> {
  const problems: Array<[string, string]> = []
  const names = new Set<string>()
  fixture.services.forEach((service, i) => {
    const at = `/services/${i}`
    if (names.has(service.name)) problems.push([`${at}/name`, `duplicate service name '${service.name}'`])
    names.add(service.name)
    const type = service.type ?? 'service'
    let workflows = 0
    for (const [handler, behavior] of Object.entries(service.handlers)) {
      const h = `${at}/handlers/${handler}`
      if (behavior.kind !== undefined && type === 'service') problems.push([`${h}/kind`, 'a plain service has no handler kinds'])
      if (behavior.kind === 'workflow' && type !== 'workflow') problems.push([`${h}/kind`, "kind 'workflow' needs service type 'workflow'"])
      if (handlerKind(type, handler, behavior) === 'workflow') workflows++
      if (behavior.duration !== undefined) pushDist(problems, `${h}/duration`, checkDistribution(behavior.duration))
      if (behavior.suspend !== undefined) pushDist(problems, `${h}/suspend/duration`, checkDistribution(behavior.suspend.duration))
      checkPolicy(problems, `${h}/retryPolicy`, behavior.retryPolicy)
    }
    if (type === 'workflow' && workflows !== 1) problems.push([`${at}/handlers`, `a workflow needs exactly one handler of kind 'workflow' (found ${workflows})`])
    checkPolicy(problems, `${at}/retryPolicy`, service.retryPolicy)
  })
  checkPolicy(problems, '/retryPolicy', fixture.retryPolicy)
  fixture.traffic?.mix?.forEach((mix, i) => {
    const [service, handler] = mix.target.split('/')
    const def = fixture.services.find(s => s.name === service)
    if (def === undefined || !Object.hasOwn(def.handlers, handler)) {
      problems.push([`/traffic/mix/${i}/target`, `unknown target '${mix.target}'`])
    }
  })
  // Checked here rather than when the engine loads them, so a bad seed stops start-up as a
  // configuration error (exit code 2) instead of a crash.
  const ids = new Set<string>()
  fixture.invocations?.forEach((record, i) => {
    if (!INVOCATION_ID.test(record.id)) problems.push([`/invocations/${i}/id`, `'${record.id}' is not an invocation id (inv_ + 34 base62 characters)`])
    else if (ids.has(record.id)) problems.push([`/invocations/${i}/id`, `duplicate invocation id '${record.id}'`])
    ids.add(record.id)
  })
  return problems
}

function pushDist (problems: Array<[string, string]>, path: string, problem: string | undefined): void {
  if (problem !== undefined) problems.push([path, problem])
}

function checkPolicy (problems: Array<[string, string]>, path: string, policy: ServiceDefinition['retryPolicy']): void {
  if (policy === undefined) return
  for (const field of ['initialInterval', 'maxInterval'] as const) {
    const value = policy[field]
    if (value !== undefined) pushDist(problems, `${path}/${field}`, checkDistribution(value))
  }
}

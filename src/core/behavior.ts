import { Type, type Static } from '@sinclair/typebox'
import { Invocation, ServiceType } from './invocation.js'
import { parseDuration } from './duration.js'
import type { Random } from './random.js'

/** A duration: `"250ms"`, `"2s"`, `"PT1M"`, or milliseconds as a number. */
export const Duration = Type.Union([
  Type.String({ minLength: 1, description: 'e.g. "250ms", "2s", "1m", "PT10S"' }),
  Type.Number({ minimum: 0, description: 'milliseconds' })
])
export type Duration = Static<typeof Duration>

export const Distribution = Type.Union([
  Duration,
  Type.Object({ uniform: Type.Object({ min: Duration, max: Duration }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ exponential: Type.Object({ mean: Duration }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({
    lognormal: Type.Object({ median: Duration, p99: Duration }, { additionalProperties: false })
  }, { additionalProperties: false, description: 'Log-normal with the given median and 99th percentile' })
], { description: 'A constant duration or a distribution of durations' })
export type Distribution = Static<typeof Distribution>

const Probability = Type.Number({ minimum: 0, maximum: 1 })
const ErrorCode = Type.Integer({ minimum: 400, maximum: 599 })

export const RetryPolicy = Type.Object({
  initialInterval: Type.Optional(Duration),
  exponentiationFactor: Type.Optional(Type.Number({ minimum: 1 })),
  maxInterval: Type.Optional(Duration),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1 })),
  onMaxAttempts: Type.Optional(Type.Union([Type.Literal('pause'), Type.Literal('kill')]))
}, { additionalProperties: false, description: "Restate's retry policy; defaults 500ms, 2, 1m, 70, pause" })
export type RetryPolicy = Static<typeof RetryPolicy>

export const Output = Type.Union([
  Type.Object({ value: Type.Unknown() }, { additionalProperties: false, description: 'A fixed JSON value' }),
  Type.Object({ echo: Type.Literal(true) }, { additionalProperties: false, description: 'The input, echoed' }),
  Type.Object({ template: Type.String() }, {
    additionalProperties: false,
    description: 'A string with {{input}}, {{input.field}}, {{key}}, {{id}}, {{attempt}} replaced'
  }),
  Type.Object({ json: Type.Unknown() }, {
    additionalProperties: false,
    description: 'A JSON value whose strings are templates; a string that is exactly one {{…}} takes the value itself (a number stays a number)'
  })
])
export type Output = Static<typeof Output>

export const HandlerBehavior = Type.Object({
  kind: Type.Optional(Type.Union([Type.Literal('exclusive'), Type.Literal('shared'), Type.Literal('workflow')])),
  duration: Type.Optional(Distribution),
  suspend: Type.Optional(Type.Object({
    probability: Type.Optional(Probability),
    duration: Distribution
  }, { additionalProperties: false, description: 'Per attempt: suspend with this probability for this long, then run again' })),
  transient: Type.Optional(Type.Object({
    firstAttempts: Type.Optional(Type.Integer({ minimum: 0 })),
    probability: Type.Optional(Probability),
    code: Type.Optional(ErrorCode),
    message: Type.Optional(Type.String())
  }, { additionalProperties: false, description: 'Retryable failures: the first N attempts, and/or with a probability per attempt' })),
  terminal: Type.Optional(Type.Object({
    probability: Type.Optional(Probability),
    code: Type.Optional(ErrorCode),
    message: Type.Optional(Type.String())
  }, { additionalProperties: false, description: 'A terminal error ending the invocation (probability defaults to 1)' })),
  output: Type.Optional(Output),
  retryPolicy: Type.Optional(RetryPolicy)
}, { additionalProperties: false })
export type HandlerBehavior = Static<typeof HandlerBehavior>

export const ServiceDefinition = Type.Object({
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' }),
  type: Type.Optional(ServiceType),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, description: 'At most this many attempts of the service run at once; the rest wait `ready`' })),
  retryPolicy: Type.Optional(RetryPolicy),
  handlers: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), HandlerBehavior)
}, { additionalProperties: false })
export type ServiceDefinition = Static<typeof ServiceDefinition>

export const TrafficTarget = Type.Object({
  target: Type.String({ pattern: '^[^/]+/[^/]+$', description: '`Service/handler`' }),
  weight: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  keys: Type.Optional(Type.Integer({ minimum: 1, description: 'For keyed services: how many distinct keys to spread over' })),
  input: Type.Optional(Type.Unknown())
}, { additionalProperties: false })

export const Traffic = Type.Object({
  rate: Type.Number({ exclusiveMinimum: 0, maximum: 10_000, description: 'Arrivals per emulated second' }),
  enabled: Type.Optional(Type.Boolean()),
  mix: Type.Optional(Type.Array(TrafficTarget, { minItems: 1 }))
}, { additionalProperties: false })
export type Traffic = Static<typeof Traffic>

export const Fixture = Type.Object({
  $schema: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  retryPolicy: Type.Optional(RetryPolicy),
  services: Type.Array(ServiceDefinition),
  invocations: Type.Optional(Type.Array(Invocation, { description: 'Records loaded as they are; each must satisfy the seed schema' })),
  traffic: Type.Optional(Traffic)
}, { additionalProperties: false, title: 'restate-emulator fixture' })
export type Fixture = Static<typeof Fixture>

/** The retry policy with every field resolved to milliseconds. */
export interface ResolvedRetryPolicy {
  initialInterval: number
  exponentiationFactor: number
  maxInterval: number
  maxAttempts: number
  onMaxAttempts: 'pause' | 'kill'
}

export const DEFAULT_RETRY_POLICY: ResolvedRetryPolicy = {
  initialInterval: 500,
  exponentiationFactor: 2,
  maxInterval: 60_000,
  maxAttempts: 70,
  onMaxAttempts: 'pause'
}

export function resolveRetryPolicy (...layers: Array<RetryPolicy | undefined>): ResolvedRetryPolicy {
  const out = { ...DEFAULT_RETRY_POLICY }
  for (const layer of layers) {
    if (layer === undefined) continue
    if (layer.initialInterval !== undefined) out.initialInterval = durationMs(layer.initialInterval)
    if (layer.exponentiationFactor !== undefined) out.exponentiationFactor = layer.exponentiationFactor
    if (layer.maxInterval !== undefined) out.maxInterval = durationMs(layer.maxInterval)
    if (layer.maxAttempts !== undefined) out.maxAttempts = layer.maxAttempts
    if (layer.onMaxAttempts !== undefined) out.onMaxAttempts = layer.onMaxAttempts
  }
  return out
}

/** Delay before retry number `retry` (1 for the first retry). */
export function retryDelay (policy: ResolvedRetryPolicy, retry: number): number {
  const raw = policy.initialInterval * policy.exponentiationFactor ** Math.max(0, retry - 1)
  return Math.min(raw, policy.maxInterval)
}

const parsedDurations = new Map<string, number>()

/** A duration in ms; fixture texts are parsed once (attempts read them over and over). */
export function durationMs (value: Duration): number {
  if (typeof value === 'string') {
    const cached = parsedDurations.get(value)
    if (cached !== undefined) return cached
  }
  const ms = parseDuration(value)
  if (ms === undefined) throw new RangeError(`invalid duration '${String(value)}'`)
  if (typeof value === 'string' && parsedDurations.size < 10_000) parsedDurations.set(value, ms)
  return ms
}

/** Checks every duration inside a distribution parses; returns the problem or undefined. */
export function checkDistribution (dist: Distribution): string | undefined {
  try {
    if (typeof dist === 'string' || typeof dist === 'number') durationMs(dist)
    else if ('uniform' in dist) {
      if (durationMs(dist.uniform.min) > durationMs(dist.uniform.max)) return 'uniform min is greater than max'
    } else if ('exponential' in dist) durationMs(dist.exponential.mean)
    else {
      const median = durationMs(dist.lognormal.median)
      const p99 = durationMs(dist.lognormal.p99)
      if (median <= 0 || p99 < median) return 'lognormal needs 0 < median <= p99'
    }
  } catch (err) {
    return (err as Error).message
  }
  return undefined
}

const Z99 = 2.3263478740408408

/** Draws one duration (ms, rounded) from a distribution. */
export function sample (dist: Distribution, random: Random): number {
  if (typeof dist === 'string' || typeof dist === 'number') return durationMs(dist)
  if ('uniform' in dist) {
    const min = durationMs(dist.uniform.min)
    const max = durationMs(dist.uniform.max)
    return Math.round(min + (max - min) * random.next())
  }
  if ('exponential' in dist) {
    const mean = durationMs(dist.exponential.mean)
    return Math.round(-mean * Math.log(1 - random.next()))
  }
  const median = durationMs(dist.lognormal.median)
  const p99 = durationMs(dist.lognormal.p99)
  const mu = Math.log(median)
  const sigma = p99 > median ? (Math.log(p99) - mu) / Z99 : 0
  return Math.round(Math.exp(mu + sigma * random.normal()))
}

/** What one attempt does once it has run for `duration`. */
export type AttemptOutcome =
  | { kind: 'success', output: unknown }
  | { kind: 'transient', code: number, message: string }
  | { kind: 'terminal', code: number, message: string }
  | { kind: 'suspend', sleep: number, again?: boolean }

export interface AttemptPlan {
  duration: number
  outcome: AttemptOutcome
}

export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number
  /** How many times this invocation has suspended so far. */
  suspensions: number
  input: unknown
  key: string | null
  id: string
}

export const DEFAULT_DURATION = 10

/**
 * Decides one attempt from a handler's behaviour. Draws happen in a fixed order whatever the
 * behaviour, so that adding a knob to one handler does not shift the random stream of others
 * more than it must.
 */
export function planAttempt (behavior: HandlerBehavior, ctx: AttemptContext, random: Random): AttemptPlan {
  const duration = behavior.duration === undefined ? DEFAULT_DURATION : sample(behavior.duration, random)
  const transient = behavior.transient
  if (transient !== undefined) {
    const first = transient.firstAttempts ?? 0
    const byCount = ctx.attempt <= first
    const byChance = transient.probability !== undefined && random.chance(transient.probability)
    if (byCount || byChance) {
      return { duration, outcome: { kind: 'transient', code: transient.code ?? 500, message: transient.message ?? 'transient failure' } }
    }
  }
  const terminal = behavior.terminal
  if (terminal !== undefined && random.chance(terminal.probability ?? 1)) {
    return { duration, outcome: { kind: 'terminal', code: terminal.code ?? 500, message: terminal.message ?? 'terminal failure' } }
  }
  const suspend = behavior.suspend
  if (suspend !== undefined && random.chance(suspend.probability ?? 1)) {
    // A certain suspension happens once, so the invocation can finish after waking.
    if ((suspend.probability ?? 1) < 1 || ctx.suspensions === 0) {
      return { duration, outcome: { kind: 'suspend', sleep: sample(suspend.duration, random) } }
    }
  }
  return { duration, outcome: { kind: 'success', output: renderOutput(behavior.output, ctx) } }
}

export function renderOutput (output: Output | undefined, ctx: AttemptContext): unknown {
  if (output === undefined) return null
  if ('value' in output) return output.value
  if ('echo' in output) return ctx.input ?? null
  if ('json' in output) return renderJson(output.json, ctx)
  return renderTemplate(output.template, ctx)
}

const PLACEHOLDER = /\{\{\s*([\w.]+)\s*\}\}/g
const WHOLE_PLACEHOLDER = /^\{\{\s*([\w.]+)\s*\}\}$/

function renderTemplate (template: string, ctx: AttemptContext): string {
  return template.replace(PLACEHOLDER, (_, path: string) => {
    const value = lookup(path, ctx)
    if (value === undefined || value === null) return ''
    return typeof value === 'string' ? value : JSON.stringify(value)
  })
}

function renderJson (value: unknown, ctx: AttemptContext): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(value)
    if (whole !== null) return lookup(whole[1], ctx) ?? null
    return renderTemplate(value, ctx)
  }
  if (Array.isArray(value)) return value.map(item => renderJson(item, ctx))
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties, so a "__proto__" key stays a plain key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, ctx)]))
  }
  return value
}

function lookup (path: string, ctx: AttemptContext): unknown {
  const [head, ...rest] = path.split('.')
  let value: unknown
  if (head === 'input') value = ctx.input
  else if (head === 'key') value = ctx.key
  else if (head === 'id') value = ctx.id
  else if (head === 'attempt') value = ctx.attempt
  else return undefined
  for (const part of rest) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

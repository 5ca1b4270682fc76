import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { buildApps, type Apps } from './app.js'
import { resolveOptions, type EmulatorOptions, type ResolvedOptions } from './config.js'
import { EmulatorCore } from './core/emulator.js'
import { ManualClock, iso, type ClockRun } from './core/clock.js'
import { parseDuration } from './core/duration.js'
import type { Invocation } from './core/invocation.js'
import type { Status } from './core/lifecycle.js'
import type { FaultRule, FaultRuleInput } from './core/faults.js'
import type { EventLog } from './core/events.js'
import type { ListFilter } from './core/store.js'
import { loadSnapshotFile, saveSnapshotFile } from './snapshot-file.js'

export type { EmulatorOptions, ResolvedOptions, LogLevel } from './config.js'
export { ConfigError } from './config.js'
export type { Invocation } from './core/invocation.js'
export type { Status } from './core/lifecycle.js'
export type { Fixture, HandlerBehavior, RetryPolicy, Traffic, Distribution, Duration } from './core/behavior.js'
export type { FaultRule, FaultRuleInput, FaultEffect } from './core/faults.js'
export type { LoggedEvent, EventLog } from './core/events.js'
export type { Snapshot } from './core/emulator.js'
export type { ClockRun } from './core/clock.js'
export { ALLOWED_TRANSITIONS, canTransition, isTerminal, STATUSES } from './core/lifecycle.js'

/** The emulator's clock as the library shows it; moving time needs `clock: 'manual'`. */
export interface EmulatorClock {
  readonly mode: 'real' | 'manual'
  /** Emulated time, epoch ms. */
  now(): number
  /** Moves a manual clock forward (`5000`, `'5s'`), firing due timers in order. */
  advance(by: number | string): ClockRun
  /** Moves a manual clock to a time, firing due timers in order. */
  advanceTo(to: number | string | Date): ClockRun
  /** Fires timers until no work is left (retention and demo traffic excluded). */
  runUntilIdle(): ClockRun
}

export interface InvocationsApi {
  get(id: string): Invocation | undefined
  /** Newest first; `limit` defaults to all. */
  list(filter?: Partial<Omit<ListFilter, 'statuses' | 'cursor'>> & { status?: Status | Status[] }): Invocation[]
  /** Inserts records as given (validated against the record schema). */
  insert(records: Invocation[]): Invocation[]
}

export interface FaultsApi {
  add(rule: FaultRuleInput): FaultRule
  list(): FaultRule[]
  remove(id: string): boolean
  clear(): void
}

export interface WaitForOptions {
  /** Real-clock only: give up after this many ms (default 30000). */
  timeoutMs?: number
}

/** An emulator without sockets: drive it with `inject()`. */
export interface EmulatorInstance {
  readonly options: ResolvedOptions
  readonly seed: number
  readonly clock: EmulatorClock
  readonly invocations: InvocationsApi
  readonly faults: FaultsApi
  readonly events: EventLog
  /** The engine, store and generator, for advanced use. */
  readonly core: EmulatorCore
  readonly ingress: FastifyInstance
  readonly admin: FastifyInstance
  injectIngress(options: InjectOptions | string): Promise<LightMyRequestResponse>
  injectAdmin(options: InjectOptions | string): Promise<LightMyRequestResponse>
  /**
   * Resolves with the invocation once it has been in `status`. Under a manual clock it moves
   * time forward timer by timer until then, and fails if nothing is left to run first.
   */
  waitFor(id: string, status: Status, options?: WaitForOptions): Promise<Invocation>
  /** Back to the start state (fixture, time, seed); keeps listening. */
  reset(): void
  /** Stops everything; nothing of this emulator stays in the process. */
  close(): Promise<void>
}

export interface Emulator extends EmulatorInstance {
  readonly ingressUrl: string
  readonly adminUrl: string
}

/** Builds an emulator without listening; use `injectIngress` / `injectAdmin`. */
export async function createEmulator (options: EmulatorOptions = {}): Promise<EmulatorInstance> {
  const resolved = resolveOptions({ options, defaults: 'library' })
  return build(resolved, { ingress: 'http://localhost', admin: 'http://localhost' })
}

/** Builds an emulator and listens (random free ports unless told otherwise). */
export async function startEmulator (options: EmulatorOptions = {}): Promise<Emulator> {
  const resolved = resolveOptions({ options, defaults: 'library' })
  return listen(resolved)
}

/** Used by the CLI: build from resolved options and listen. */
export async function listen (resolved: ResolvedOptions): Promise<Emulator> {
  const urls = { ingress: '', admin: '' }
  const instance = await build(resolved, urls)
  try {
    const ingressAddress = await instance.ingress.listen({ port: resolved.ingressPort, host: resolved.host })
    urls.ingress = ingressAddress
    urls.admin = await instance.admin.listen({ port: resolved.adminPort, host: resolved.host })
  } catch (err) {
    await instance.close()
    throw err
  }
  return Object.assign(instance, { ingressUrl: urls.ingress, adminUrl: urls.admin })
}

async function build (resolved: ResolvedOptions, urls: { ingress: string, admin: string }): Promise<EmulatorInstance> {
  const core = new EmulatorCore({
    fixture: resolved.fixture,
    seed: resolved.seed,
    clock: resolved.clock,
    speed: resolved.speed,
    startTime: resolved.startTime,
    retentionMs: resolved.retentionMs,
    maxInvocations: resolved.maxInvocations,
    eventBuffer: resolved.eventBuffer
  })
  if (resolved.snapshot !== undefined) {
    try {
      loadSnapshotFile(core, resolved.snapshot)
    } catch (err) {
      core.close()
      throw err
    }
  }
  if (resolved.traffic !== undefined) {
    const base = core.engine.fixture.traffic
    core.startTraffic({ ...base, rate: resolved.traffic === true ? base?.rate ?? 5 : resolved.traffic })
  }
  const logger = pino({ level: resolved.logLevel, base: { name: 'restate-emulator' } })
  let apps: Apps
  try {
    apps = await buildApps({
      core,
      logger,
      bodyLimit: resolved.bodyLimit,
      adminToken: resolved.adminToken,
      corsOrigins: resolved.corsOrigins,
      ingressUrl: () => urls.ingress.endsWith('/') ? urls.ingress : `${urls.ingress}/`
    })
  } catch (err) {
    core.close()
    throw err
  }

  let snapshotTimer: NodeJS.Timeout | undefined
  if (resolved.snapshot !== undefined && resolved.snapshotIntervalMs > 0) {
    const path = resolved.snapshot
    snapshotTimer = setInterval(() => {
      try {
        saveSnapshotFile(core.snapshot(), path)
      } catch (err) {
        logger.error({ err }, 'could not write the snapshot file')
      }
    }, resolved.snapshotIntervalMs)
    snapshotTimer.unref()
  }

  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= (async () => {
      if (snapshotTimer !== undefined) clearInterval(snapshotTimer)
      core.traffic.stop()
      await Promise.all([apps.ingress.close(), apps.admin.close()])
      if (resolved.snapshot !== undefined) saveSnapshotFile(core.snapshot(), resolved.snapshot)
      core.close()
    })()
    return closed
  }

  return {
    options: resolved,
    seed: resolved.seed,
    clock: clockApi(core),
    invocations: invocationsApi(core),
    faults: {
      add: rule => core.engine.faults.add(rule),
      list: () => core.engine.faults.list(),
      remove: id => core.engine.faults.remove(id),
      clear: () => core.engine.faults.clear()
    },
    events: core.events,
    core,
    ingress: apps.ingress,
    admin: apps.admin,
    injectIngress: options => apps.ingress.inject(options),
    injectAdmin: options => apps.admin.inject(options),
    waitFor: (id, status, options) => waitFor(core, id, status, options),
    reset: () => core.reset(),
    close
  }
}

function clockApi (core: EmulatorCore): EmulatorClock {
  const manual = (): ManualClock => {
    if (!(core.clock instanceof ManualClock)) throw new Error("the clock is real; start the emulator with clock: 'manual' to move time")
    return core.clock
  }
  return {
    mode: core.clock.mode,
    now: () => core.clock.now(),
    advance: by => {
      const ms = parseDuration(by)
      if (ms === undefined) throw new RangeError(`'${by}' is not a duration`)
      return manual().advance(ms)
    },
    advanceTo: to => {
      const ms = to instanceof Date ? to.getTime() : typeof to === 'number' ? to : Date.parse(to)
      return manual().advanceTo(ms)
    },
    runUntilIdle: () => manual().runUntilIdle()
  }
}

function invocationsApi (core: EmulatorCore): InvocationsApi {
  return {
    get: id => {
      const entry = core.engine.get(id)
      return entry === undefined ? undefined : structuredClone(entry.record)
    },
    list: (filter = {}) => {
      const { status, limit, ...rest } = filter
      const statuses = status === undefined ? undefined : new Set(Array.isArray(status) ? status : [status])
      return core.engine.list({ ...rest, statuses, limit: limit ?? Number.MAX_SAFE_INTEGER })
        .entries.map(e => structuredClone(e.record))
    },
    insert: records => core.engine.insert(records).map(r => structuredClone(r))
  }
}

async function waitFor (core: EmulatorCore, id: string, status: Status, options: WaitForOptions = {}): Promise<Invocation> {
  const engine = core.engine
  const entry = engine.get(id)
  if (entry === undefined) throw new Error(`waitFor: no invocation '${id}'`)
  if (entry.record.status === status) return structuredClone(entry.record)
  const timeoutMs = options.timeoutMs ?? 30_000
  const seen: { reached?: Invocation, gone: boolean } = { gone: false }
  let settle: (() => void) | undefined
  const off = engine.on(event => {
    if (event.invocation.id !== id || seen.reached !== undefined) return
    if (event.type === 'purged') seen.gone = true
    else if (event.invocation.status === status) seen.reached = structuredClone(event.invocation)
    if (seen.reached !== undefined || seen.gone) settle?.()
  })
  try {
    const clock = core.clock
    if (clock instanceof ManualClock) {
      while (seen.reached === undefined && !seen.gone) {
        if (clock.pendingWork() === 0) break
        clock.step()
        // Let sync callers and attachers resolved by this step run before the next one.
        await Promise.resolve()
      }
    } else {
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, timeoutMs)
        settle = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  } finally {
    off()
  }
  if (seen.reached !== undefined) return seen.reached
  const current = engine.get(id)?.record
  const where = current === undefined ? 'it was removed' : `it is '${current.status}' at ${iso(core.clock.now())}`
  const why = core.clock.mode === 'manual' ? 'and nothing is left to run' : `after ${timeoutMs} ms`
  throw new Error(`waitFor: invocation '${id}' never reached '${status}': ${where} ${why}`)
}

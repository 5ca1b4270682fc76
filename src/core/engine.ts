import { Value } from '@sinclair/typebox/value'
import type { Clock, Timer } from './clock.js'
import { iso } from './clock.js'
import type { Random } from './random.js'
import { hashBase62 } from './random.js'
import { Catalog, checkFixture, type HandlerInfo, type ServiceInfo } from './catalog.js'
import {
  planAttempt, resolveRetryPolicy, retryDelay, type AttemptOutcome, type Fixture, type HandlerBehavior
} from './behavior.js'
import { FaultRules } from './faults.js'
import { Invocation, INVOCATION_ID } from './invocation.js'
import { canTransition, isTerminal, type Status } from './lifecycle.js'
import { Store, type Completion, type Entry, type ListFilter, type ListPage } from './store.js'
import { EmulatorError, badRequest, conflict, notFound, unavailable } from './errors.js'
import './formats.js'

/** What the engine tells its listeners; every event carries the record as it is after it. */
export type EngineEvent =
  | { type: 'created', invocation: Invocation }
  | { type: 'transition', from: Status, to: Status, invocation: Invocation }
  | { type: 'updated', invocation: Invocation }
  | { type: 'purged', reason: 'purge' | 'cancel' | 'kill' | 'expired' | 'evicted', invocation: Invocation }

export interface EngineOptions {
  clock: Clock
  random: Random
  fixture: Fixture
  /** How long completed invocations are kept (Restate's journal retention, default 1 day). */
  retentionMs?: number
  /** At most this many invocations are kept; the oldest completed go first. */
  maxInvocations?: number
}

export interface InvokeRequest {
  service: string
  handler: string
  key?: string
  input?: unknown
  idempotencyKey?: string
  /** Start no earlier than this many ms from now. */
  delayMs?: number
  behavior?: (base: HandlerBehavior) => HandlerBehavior
}

export interface InvokeResult {
  invocation: Invocation
  /** True when an idempotency key or a workflow key named an invocation that already existed. */
  previouslyAccepted: boolean
  /** Which key matched, when previouslyAccepted. */
  matchedBy?: 'idempotency-key' | 'workflow-key'
}

/** The private state of an invocation that a snapshot keeps beside its record. */
export interface EntryInternals {
  input: unknown
  behavior: HandlerBehavior
  outcome?: AttemptOutcome
  completion?: Completion
  timer_at?: string
  suspensions: number
  failures?: number
  retry_base?: number
  exhausted?: boolean
  sleep_until?: string
}

type AdoptInternals = Partial<Omit<EntryInternals, 'timer_at'>> & {
  timerAt?: number
  /**
   * Loaded as given (fixture seeds, the control API) rather than restored from a snapshot: a
   * completed record keeps its retention from now at the earliest, so that history dated in
   * the past is not expired the moment it is loaded.
   */
  asGiven?: boolean
  /** The store position to take (a snapshot's order), so a restore lists as the original did. */
  seq?: number
}

export const DEFAULT_RETENTION_MS = 86_400_000
export const DEFAULT_MAX_INVOCATIONS = 100_000

/** The deployment every fixture service is registered at. */
export interface Deployment {
  id: string
  createdAt: string
}

/**
 * Drives invocations through Restate's lifecycle. Every status change goes through `#move`,
 * which enforces the transition table; every delay is a timer on the injected clock; every
 * random draw comes from the injected generator.
 */
export class Engine {
  readonly clock: Clock
  readonly random: Random
  readonly store = new Store()
  readonly faults = new FaultRules()
  catalog: Catalog
  fixture: Fixture
  deployment: Deployment
  retentionMs: number
  maxInvocations: number

  #listeners = new Set<(event: EngineEvent) => void>()
  /** Exclusive key locks: `Service/key` → holder id. */
  #locks = new Map<string, string>()
  /** Invocations waiting for an exclusive key, in arrival order. */
  #inboxes = new Map<string, Entry[]>()
  #running = new Map<string, number>()
  #readyQueues = new Map<string, Entry[]>()
  #idempotency = new Map<string, string>()
  #workflowRuns = new Map<string, string>()
  /** Completed ids in completion order, oldest first, for eviction at the cap. */
  #completed = new Set<string>()
  #retention = new Map<string, Timer>()

  constructor (options: EngineOptions) {
    this.clock = options.clock
    this.random = options.random
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS
    this.maxInvocations = options.maxInvocations ?? DEFAULT_MAX_INVOCATIONS
    this.fixture = options.fixture
    this.catalog = new Catalog(options.fixture)
    this.deployment = { id: `dp_${this.random.base62(23)}`, createdAt: iso(this.clock.now()) }
    this.#loadSeedInvocations(options.fixture)
  }

  on (listener: (event: EngineEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  get (id: string): Entry | undefined { return this.store.get(id) }

  /** Looks an id up as the admin API does: 400 when malformed, 404 when unknown. */
  require (id: string): Entry {
    const problem = invocationIdProblem(id)
    if (problem !== undefined) throw badRequest(`The request field 'invocation_id' is invalid. Reason: ${problem}`)
    const entry = this.store.get(id)
    if (entry === undefined) throw notFound(`The requested invocation '${id}' does not exist`)
    return entry
  }

  list (filter: ListFilter): ListPage { return this.store.list(filter) }

  /** Counts per status, for health and the UI. */
  counts (): Record<Status, number> {
    const counts: Record<Status, number> = { pending: 0, ready: 0, running: 0, 'backing-off': 0, suspended: 0, completed: 0 }
    for (const entry of this.store.values()) counts[entry.record.status]++
    return counts
  }

  /** Resolves the target of a call, with Restate's ingress errors. */
  resolveTarget (service: string, handler: string): { service: ServiceInfo, handler: HandlerInfo } {
    const info = this.catalog.get(service)
    if (info === undefined) {
      throw notFound(`service '${service}' not found, make sure to register the service before calling it.`)
    }
    const h = info.handlers.get(handler)
    if (h === undefined) {
      throw notFound(`the service '${service}' exists, but the handler '${handler}' was not found, check that the handler exists in the latest registered service version.`)
    }
    return { service: info, handler: h }
  }

  invoke (request: InvokeRequest): InvokeResult {
    const { service, handler } = this.resolveTarget(request.service, request.handler)
    const keyed = service.type !== 'service'
    if (keyed && request.key === undefined) {
      throw badRequest('bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler')
    }
    const key = keyed ? request.key as string : null
    if (request.idempotencyKey !== undefined) {
      const existing = this.#idempotency.get(idempotencyScope(service.name, key, handler.name, request.idempotencyKey))
      if (existing !== undefined && this.store.has(existing)) {
        return { invocation: this.store.get(existing)!.record, previouslyAccepted: true, matchedBy: 'idempotency-key' }
      }
    }
    if (handler.kind === 'workflow') {
      const existing = this.#workflowRuns.get(`${service.name}/${key}`)
      if (existing !== undefined && this.store.has(existing)) {
        return { invocation: this.store.get(existing)!.record, previouslyAccepted: true, matchedBy: 'workflow-key' }
      }
    }
    const behavior = request.behavior === undefined ? handler.behavior : request.behavior(handler.behavior)
    const entry = this.#create(service, handler, key, request.input, behavior, this.#newId(service.name, key), request)
    return { invocation: entry.record, previouslyAccepted: false }
  }

  /** The invocation of a workflow's `run` for a key, if there is one. */
  workflowRun (service: string, key: string): Entry | undefined {
    const id = this.#workflowRuns.get(`${service}/${key}`)
    return id === undefined ? undefined : this.store.get(id)
  }

  /** Resolves when the invocation completes (at once if it has). */
  awaitCompletion (id: string): Promise<Completion> {
    const entry = this.store.get(id)
    if (entry === undefined) return Promise.reject(notFound(`The requested invocation '${id}' does not exist`))
    if (entry.completion !== undefined) return Promise.resolve(entry.completion)
    return new Promise(resolve => entry.waiters.push(resolve))
  }

  /**
   * Cancel. As in Restate, an invocation that has not started (delayed, or waiting in an object's
   * inbox) is simply dropped ('removed'); a started one ends `[409] Cancelled` ('cancelled').
   */
  cancel (id: string): 'cancelled' | 'removed' {
    return this.#terminate(id, 'cancel', { ok: false, code: 409, message: 'Cancelled' })
  }

  /** Kill: as cancel, but the failure is `[409] killed`. */
  kill (id: string): 'killed' | 'removed' {
    return this.#terminate(id, 'kill', { ok: false, code: 409, message: 'killed' }) === 'removed' ? 'removed' : 'killed'
  }

  #terminate (id: string, reason: 'cancel' | 'kill', completion: Completion): 'cancelled' | 'removed' {
    const entry = this.require(id)
    if (isTerminal(entry.record.status)) throw conflict(`The invocation '${id}' was already completed.`)
    if (entry.record.status === 'pending') {
      this.#dispose(entry)
      this.#remove(entry, reason)
      return 'removed'
    }
    this.#complete(entry, completion)
    return 'cancelled'
  }

  purge (id: string): void {
    const entry = this.require(id)
    if (!isTerminal(entry.record.status)) throw conflict(`The invocation '${id}' is not yet completed.`)
    this.#remove(entry, 'purge')
  }

  /**
   * Pause a running or backing-off invocation: it becomes `suspended` with `paused: true`
   * ('paused'). As in Restate, pausing one already paused, or one suspended (sleeping), changes
   * nothing ('unchanged'): a sleeping invocation still wakes when its timer fires.
   */
  pause (id: string): 'paused' | 'unchanged' {
    const entry = this.require(id)
    const status = entry.record.status
    if (status === 'completed' || status === 'pending' || status === 'ready') {
      throw conflict(`The invocation '${id}' is not running, cannot be paused.`)
    }
    if (status === 'suspended') return 'unchanged'
    this.#cancelTimer(entry)
    this.#move(entry, 'suspended', { paused: true, next_retry_at: null })
    return 'paused'
  }

  /**
   * Resume, as Restate: a paused invocation runs again now, with its backoff started over (and,
   * when it was paused for running out of attempts, a fresh budget of attempts); a backing-off
   * one retries now; a sleeping one runs again and, its sleep not being over, suspends again
   * until it is. Running ones are left alone; one not yet started is refused with 425.
   */
  resume (id: string): void {
    const entry = this.require(id)
    const record = entry.record
    const status = record.status
    if (status === 'completed') throw conflict(`The invocation '${id}' is completed, cannot be resumed.`)
    if (status === 'pending') throw new EmulatorError(425, `The invocation '${id}' is either inboxed or scheduled, cannot be resumed.`)
    if (status !== 'suspended' && status !== 'backing-off') return
    if (status === 'suspended' && record.paused !== true && entry.timerAt !== undefined) {
      entry.sleepUntil = entry.timerAt
    }
    this.#cancelTimer(entry)
    const fields: Partial<Invocation> = { paused: undefined, next_retry_at: null }
    if (entry.exhausted === true) {
      entry.exhausted = undefined
      fields.retry_count = 0
      entry.retryBase = 0
    } else {
      entry.retryBase = record.retry_count ?? 0
    }
    this.#makeReady(entry, fields)
  }

  restartAsNew (id: string): Invocation {
    const entry = this.require(id)
    const status = entry.record.status
    if (status === 'pending') {
      throw new EmulatorError(425, `The invocation '${id}' cannot be restarted because it's not running yet.`)
    }
    if (!isTerminal(status)) throw conflict(`The invocation '${id}' is still running.`)
    if (entry.record.target_service_ty === 'workflow') {
      throw new EmulatorError(422, `Restarting the invocation '${id}' is not supported. Restarting workflows is not supported, and restarting invocations created using the old service protocol.`)
    }
    const record = entry.record
    const service = this.catalog.get(record.target_service_name ?? '')
    const handler = service?.handlers.get(record.target_handler_name ?? '')
    if (service === undefined || handler === undefined) {
      throw conflict(`The invocation '${id}' targets '${record.target}', which is no longer registered.`)
    }
    const key = record.target_service_key ?? null
    const newId = `${id.slice(0, 18)}${this.random.base62(20)}`
    return this.#create(service, handler, key, entry.input, entry.behavior, newId, {}).record
  }

  /**
   * Moves an invocation to `to` as the control API asks, checked against the lifecycle; the
   * engine then carries on from there (a forced `suspended` waits for `resume`).
   */
  transition (id: string, to: Status): Invocation {
    const entry = this.require(id)
    const from = entry.record.status
    if (!canTransition(from, to)) {
      throw conflict(`Cannot move invocation '${id}' from '${from}' to '${to}'.`)
    }
    this.#cancelTimer(entry)
    switch (to) {
      case 'ready':
        this.#leaveInbox(entry)
        this.#makeReady(entry, { next_retry_at: null, paused: undefined })
        break
      case 'running':
        this.#removeFromReadyQueue(entry)
        this.#startAttempt(entry)
        break
      case 'suspended':
        this.#move(entry, 'suspended', { next_retry_at: null })
        break
      case 'backing-off':
        this.#fail(entry, { code: 500, message: 'transition forced by the control API' })
        break
      case 'completed':
        this.#complete(entry, { ok: true, output: null })
        break
      case 'pending':
        break
    }
    return entry.record
  }

  /** Inserts records as given (control API, snapshots): validated, then driven from their status. */
  insert (records: unknown[]): Invocation[] {
    const checked = records.map((record, i) => this.#checkRecord(record, `/${i}`))
    const ids = new Set<string>()
    checked.forEach((record, i) => {
      if (ids.has(record.id)) throw conflict(`invocation /${i}: id '${record.id}' appears twice in the batch`)
      ids.add(record.id)
    })
    return checked.map(record => this.#adopt(record, { asGiven: true }).record)
  }

  /**
   * Back to the start state: no invocations, no fault rules, a fresh deployment id and the
   * fixture's seed invocations. The caller resets the clock and reseeds the generator first.
   */
  reset (): void {
    this.clear()
    this.deployment = { id: `dp_${this.random.base62(23)}`, createdAt: iso(this.clock.now()) }
    this.#loadSeedInvocations(this.fixture)
  }

  /** Forgets every invocation and rule; the clock is the caller's to reset. */
  clear (): void {
    for (const entry of this.store.values()) this.clock.cancel(entry.timer)
    for (const timer of this.#retention.values()) this.clock.cancel(timer)
    this.store.clear()
    this.faults.clear()
    this.#locks.clear()
    this.#inboxes.clear()
    this.#running.clear()
    this.#readyQueues.clear()
    this.#idempotency.clear()
    this.#workflowRuns.clear()
    this.#completed.clear()
    this.#retention.clear()
  }

  /** Replaces the catalog; invocations in flight keep the behaviour they started with. */
  setFixture (fixture: Fixture): void {
    const problems = checkFixture(fixture)
    if (problems.length > 0) throw badRequest(problems.map(([path, msg]) => `${path}: ${msg}`).join('; '))
    this.fixture = fixture
    this.catalog = new Catalog(fixture)
  }

  loadSeedInvocations (): void {
    this.#loadSeedInvocations(this.fixture)
  }

  /** Internal state of an entry for snapshots. */
  internals (entry: Entry): EntryInternals {
    return {
      input: entry.input,
      behavior: entry.behavior,
      ...(entry.outcome === undefined ? {} : { outcome: entry.outcome }),
      ...(entry.completion === undefined ? {} : { completion: entry.completion }),
      ...(entry.timerAt === undefined ? {} : { timer_at: iso(entry.timerAt) }),
      suspensions: entry.suspensions,
      ...(entry.failures === 0 ? {} : { failures: entry.failures }),
      ...(entry.retryBase === 0 ? {} : { retry_base: entry.retryBase }),
      ...(entry.exhausted === true ? { exhausted: true } : {}),
      ...(entry.sleepUntil === undefined ? {} : { sleep_until: iso(entry.sleepUntil) })
    }
  }

  /** Restores one snapshot entry, re-arming its timer. */
  restore (record: Invocation, internals: Partial<EntryInternals>, seq?: number): void {
    const checked = this.#checkRecord(record, `/invocations/${record.id}`)
    const timerAt = internals.timer_at === undefined ? undefined : Date.parse(internals.timer_at)
    this.#adopt(checked, { ...internals, timerAt, seq })
  }

  #emit (event: EngineEvent): void {
    for (const listener of this.#listeners) listener(event)
  }

  #newId (service: string, key: string | null): string {
    const partition = key === null ? this.random.base62(13) : hashBase62(`${service}/${key}`, 13)
    return `inv_1${partition}${this.random.base62(20)}`
  }

  #create (service: ServiceInfo, handler: HandlerInfo, key: string | null, input: unknown, behavior: HandlerBehavior, id: string, request: Pick<InvokeRequest, 'idempotencyKey' | 'delayMs'>): Entry {
    this.#makeRoom()
    const now = this.clock.now()
    const nowIso = iso(now)
    const delayed = request.delayMs !== undefined && request.delayMs > 0
    const record: Invocation = {
      id,
      target: key === null ? `${service.name}/${handler.name}` : `${service.name}/${key}/${handler.name}`,
      target_service_name: service.name,
      target_handler_name: handler.name,
      target_service_key: key,
      target_service_ty: service.type,
      status: delayed ? 'pending' : 'ready',
      created_at: nowIso,
      modified_at: nowIso,
      trace_id: this.random.hex(32),
      retry_count: 0,
      last_failure: null,
      next_retry_at: null,
      invoked_by: 'ingress',
      journal_size: 0
    }
    if (request.idempotencyKey !== undefined) record.idempotency_key = request.idempotencyKey
    if (delayed) record.scheduled_start_at = iso(now + (request.delayMs as number))
    const entry: Entry = {
      seq: this.store.nextSeq(),
      record,
      createdMs: now,
      input,
      behavior,
      // An overridden behaviour (x-emulator-behavior) keeps the fixture's, service's and
      // handler's policy layers; only a retry policy of its own is laid on top.
      policy: behavior === handler.behavior || behavior.retryPolicy === undefined
        ? handler.policy
        : resolveRetryPolicy(handler.policy, behavior.retryPolicy),
      suspensions: 0,
      failures: 0,
      retryBase: 0,
      waiters: []
    }
    if (isExclusive(service, handler) && key !== null) entry.lockKey = `${service.name}/${key}`
    this.store.add(entry)
    if (request.idempotencyKey !== undefined) {
      this.#idempotency.set(idempotencyScope(service.name, key, handler.name, request.idempotencyKey), id)
    }
    if (handler.kind === 'workflow') this.#workflowRuns.set(`${service.name}/${key}`, id)
    if (delayed) {
      this.#emit({ type: 'created', invocation: record })
      this.#arm(entry, now + (request.delayMs as number), () => this.#scheduledStart(entry))
      return entry
    }
    if (entry.lockKey !== undefined && this.#locks.has(entry.lockKey)) {
      record.status = 'pending'
      record.inboxed_at = nowIso
      this.#emit({ type: 'created', invocation: record })
      this.#inbox(entry)
      return entry
    }
    this.#emit({ type: 'created', invocation: record })
    if (entry.lockKey !== undefined) this.#locks.set(entry.lockKey, id)
    this.#enqueueReady(entry)
    return entry
  }

  #scheduledStart (entry: Entry): void {
    entry.timer = undefined
    entry.timerAt = undefined
    if (entry.lockKey !== undefined) {
      const holder = this.#locks.get(entry.lockKey)
      if (holder !== undefined && holder !== entry.record.id) {
        // A restored record that was already waiting keeps the time it joined the inbox.
        if (entry.record.inboxed_at === undefined) this.#update(entry, { inboxed_at: iso(this.clock.now()) })
        this.#inbox(entry)
        return
      }
      this.#locks.set(entry.lockKey, entry.record.id)
    }
    this.#makeReady(entry, {})
  }

  #inbox (entry: Entry): void {
    const key = entry.lockKey as string
    const queue = this.#inboxes.get(key)
    if (queue === undefined) this.#inboxes.set(key, [entry])
    else queue.push(entry)
  }

  /** Takes an entry out of its key's inbox and, if the key is free, gives it the key. */
  #leaveInbox (entry: Entry): void {
    if (this.#leaveInboxWithoutLock(entry) && !this.#locks.has(entry.lockKey as string)) {
      this.#locks.set(entry.lockKey as string, entry.record.id)
    }
  }

  /** Moves to `ready` and queues for a slot of its service. */
  #makeReady (entry: Entry, fields: Partial<Invocation>): void {
    this.#move(entry, 'ready', fields)
    this.#enqueueReady(entry)
  }

  #enqueueReady (entry: Entry): void {
    const service = entry.record.target_service_name as string
    const queue = this.#readyQueues.get(service)
    if (queue === undefined) this.#readyQueues.set(service, [entry])
    else queue.push(entry)
    this.#startReady(service)
  }

  #removeFromReadyQueue (entry: Entry): void {
    const queue = this.#readyQueues.get(entry.record.target_service_name as string)
    if (queue === undefined) return
    const i = queue.indexOf(entry)
    if (i >= 0) queue.splice(i, 1)
  }

  #startReady (service: string): void {
    const queue = this.#readyQueues.get(service)
    if (queue === undefined) return
    const limit = this.catalog.get(service)?.concurrency ?? Infinity
    while (queue.length > 0 && (this.#running.get(service) ?? 0) < limit) {
      const entry = queue.shift() as Entry
      if (entry.record.status === 'ready') this.#startAttempt(entry)
    }
    if (queue.length === 0) this.#readyQueues.delete(service)
  }

  #startAttempt (entry: Entry): void {
    const service = entry.record.target_service_name as string
    const now = iso(this.clock.now())
    const record = entry.record
    const fields: Partial<Invocation> = {
      last_start_at: now,
      deployment_id: record.deployment_id ?? this.deployment.id,
      journal_size: (record.journal_size ?? 0) + 1
    }
    if (record.running_at === undefined) fields.running_at = now
    this.#move(entry, 'running', fields)
    let plan = this.faults.apply(planAttempt(entry.behavior, {
      attempt: entry.failures + 1,
      suspensions: entry.suspensions,
      input: entry.input,
      key: record.target_service_key ?? null,
      id: record.id
    }, this.random), `${service}/${record.target_handler_name}`, record.target_service_key ?? null, this.random)
    if (entry.sleepUntil !== undefined) {
      // Woken early (resume): the handler replays, finds its sleep not over, and suspends again.
      const left = entry.sleepUntil - (this.clock.now() + plan.duration)
      entry.sleepUntil = undefined
      if (left > 0) plan = { duration: plan.duration, outcome: { kind: 'suspend', sleep: left, again: true } }
    }
    const outcome = plan.outcome
    entry.outcome = outcome
    this.#arm(entry, this.clock.now() + plan.duration, () => this.#finishAttempt(entry, outcome))
  }

  #finishAttempt (entry: Entry, outcome: AttemptOutcome): void {
    entry.timer = undefined
    entry.timerAt = undefined
    entry.outcome = undefined
    switch (outcome.kind) {
      case 'success':
        this.#complete(entry, { ok: true, output: outcome.output })
        break
      case 'terminal':
        this.#complete(entry, { ok: false, code: outcome.code, message: outcome.message })
        break
      case 'suspend':
        if (outcome.again !== true) entry.suspensions++
        this.#move(entry, 'suspended', { journal_size: (entry.record.journal_size ?? 0) + 1 })
        this.#arm(entry, this.clock.now() + outcome.sleep, () => this.#wake(entry))
        break
      case 'transient':
        this.#fail(entry, outcome)
        break
    }
  }

  #wake (entry: Entry): void {
    entry.timer = undefined
    entry.timerAt = undefined
    this.#makeReady(entry, {})
  }

  /** A retryable failure: back off per the retry policy, or give up as `onMaxAttempts` says. */
  #fail (entry: Entry, outcome: { code: number, message: string }): void {
    entry.failures++
    const failure = `[${outcome.code}] ${outcome.message}`
    const retryCount = entry.record.retry_count ?? 0
    // Attempts and backoff count from the last resume, as Restate starts both over then.
    const attempts = retryCount - entry.retryBase + 1
    const policy = entry.policy
    const failureFields = { last_failure: failure, last_failure_error_code: 'RT0007' }
    if (attempts >= policy.maxAttempts) {
      if (policy.onMaxAttempts === 'kill') {
        this.#update(entry, failureFields)
        this.#complete(entry, { ok: false, code: outcome.code, message: outcome.message })
      } else {
        entry.exhausted = true
        this.#move(entry, 'suspended', { ...failureFields, paused: true, next_retry_at: null })
      }
      return
    }
    const retry = retryCount + 1
    const at = this.clock.now() + retryDelay(policy, retry - entry.retryBase)
    this.#move(entry, 'backing-off', { ...failureFields, retry_count: retry, next_retry_at: iso(at) })
    this.#arm(entry, at, () => {
      entry.timer = undefined
      entry.timerAt = undefined
      this.#makeReady(entry, { next_retry_at: null })
    })
  }

  #complete (entry: Entry, completion: Completion): void {
    const record = entry.record
    const from = record.status
    this.#cancelTimer(entry)
    if (from === 'ready') this.#removeFromReadyQueue(entry)
    if (from === 'pending') this.#leaveInboxWithoutLock(entry)
    const now = iso(this.clock.now())
    const fields: Partial<Invocation> = {
      completed_at: now,
      next_retry_at: null,
      completion_result: completion.ok ? 'success' : 'failure',
      paused: undefined
    }
    if (!completion.ok) fields.completion_failure = `[${completion.code}] ${completion.message}`
    entry.completion = completion
    this.#move(entry, 'completed', fields)
    this.#retain(entry, this.clock.now() + this.retentionMs)
    this.#releaseLock(entry)
    const waiters = entry.waiters
    entry.waiters = []
    for (const waiter of waiters) waiter(completion)
  }

  /** Takes an entry out of its key's inbox; true if it was there. */
  /** Keeps a completed invocation until `until` (a background timer: retention is not work). */
  #retain (entry: Entry, until: number): void {
    const id = entry.record.id
    this.#completed.add(id)
    this.#retention.set(id, this.clock.schedule(until, () => {
      this.#retention.delete(id)
      if (this.store.has(id)) this.#remove(entry, 'expired')
    }, { background: true }))
  }

  #leaveInboxWithoutLock (entry: Entry): boolean {
    if (entry.lockKey === undefined) return false
    const queue = this.#inboxes.get(entry.lockKey)
    if (queue === undefined) return false
    const i = queue.indexOf(entry)
    if (i >= 0) queue.splice(i, 1)
    if (queue.length === 0) this.#inboxes.delete(entry.lockKey)
    return i >= 0
  }

  /** Hands an exclusive key to the next invocation in its inbox. */
  #releaseLock (entry: Entry): void {
    const key = entry.lockKey
    if (key === undefined || this.#locks.get(key) !== entry.record.id) return
    this.#locks.delete(key)
    const queue = this.#inboxes.get(key)
    if (queue === undefined) return
    const next = queue.shift() as Entry
    if (queue.length === 0) this.#inboxes.delete(key)
    this.#locks.set(key, next.record.id)
    this.#makeReady(next, {})
  }

  #remove (entry: Entry, reason: 'purge' | 'cancel' | 'kill' | 'expired' | 'evicted'): void {
    const id = entry.record.id
    this.#cancelTimer(entry)
    this.clock.cancel(this.#retention.get(id))
    this.#retention.delete(id)
    this.#completed.delete(id)
    this.store.delete(id)
    const record = entry.record
    if (record.idempotency_key !== undefined) {
      const scope = idempotencyScope(record.target_service_name ?? '', record.target_service_key ?? null, record.target_handler_name ?? '', record.idempotency_key)
      if (this.#idempotency.get(scope) === id) this.#idempotency.delete(scope)
    }
    const wf = `${record.target_service_name}/${record.target_service_key}`
    if (this.#workflowRuns.get(wf) === id) this.#workflowRuns.delete(wf)
    this.#emit({ type: 'purged', reason, invocation: record })
    for (const waiter of entry.waiters) waiter({ ok: false, code: 404, message: `invocation '${id}' was removed` })
    entry.waiters = []
  }

  /** Cancels any timer and takes the entry out of every queue, for removal of a live one. */
  #dispose (entry: Entry): void {
    this.#cancelTimer(entry)
    this.#removeFromReadyQueue(entry)
    this.#leaveInboxWithoutLock(entry)
    this.#releaseLock(entry)
  }

  #makeRoom (): void {
    while (this.store.size >= this.maxInvocations) {
      const oldest = this.#completed.values().next()
      if (oldest.done === true) {
        throw unavailable(`The emulator holds ${this.store.size} invocations in flight (maxInvocations); try again when some complete.`)
      }
      const entry = this.store.get(oldest.value)
      this.#completed.delete(oldest.value)
      if (entry !== undefined) this.#remove(entry, 'evicted')
    }
  }

  #arm (entry: Entry, at: number, fire: () => void): void {
    this.clock.cancel(entry.timer)
    entry.timerAt = at
    entry.timer = this.clock.schedule(at, fire)
  }

  #cancelTimer (entry: Entry): void {
    this.clock.cancel(entry.timer)
    entry.timer = undefined
    entry.timerAt = undefined
    entry.outcome = undefined
  }

  /** The one place a status changes. */
  #move (entry: Entry, to: Status, fields: Partial<Invocation>): void {
    const record = entry.record
    const from = record.status
    if (!canTransition(from, to)) {
      throw new EmulatorError(500, `illegal transition of '${record.id}' from '${from}' to '${to}'`)
    }
    assign(record, fields)
    record.status = to
    record.modified_at = iso(this.clock.now())
    if (to === 'completed') this.store.noteStatus(entry)
    const service = record.target_service_name as string
    if (to === 'running') this.#running.set(service, (this.#running.get(service) ?? 0) + 1)
    this.#emit({ type: 'transition', from, to, invocation: record })
    if (from === 'running') {
      const running = (this.#running.get(service) ?? 1) - 1
      if (running <= 0) this.#running.delete(service)
      else this.#running.set(service, running)
      this.#startReady(service)
    }
  }

  #update (entry: Entry, fields: Partial<Invocation>): void {
    assign(entry.record, fields)
    this.#emit({ type: 'updated', invocation: entry.record })
  }

  #checkRecord (record: unknown, path: string): Invocation {
    if (!Value.Check(Invocation, record)) {
      const first = Value.Errors(Invocation, record).First()
      throw badRequest(`invocation ${path}${first?.path ?? ''}: ${first?.message ?? 'invalid'}`)
    }
    const invocation = structuredClone(record)
    if (!INVOCATION_ID.test(invocation.id)) throw badRequest(`invocation ${path}/id: '${invocation.id}' is not an invocation id (inv_ + 34 base62 characters)`)
    if (this.store.has(invocation.id)) throw conflict(`invocation ${path}: id '${invocation.id}' already exists`)
    return invocation
  }

  #loadSeedInvocations (fixture: Fixture): void {
    if (fixture.invocations === undefined) return
    fixture.invocations.forEach((record, i) => {
      this.#adopt(this.#checkRecord(record, `/invocations/${i}`), { asGiven: true })
    })
  }

  /**
   * Takes in a record as given and carries on driving it: in-flight records get their timers
   * and queues back, completed ones their retention.
   */
  #adopt (record: Invocation, internals: AdoptInternals): Entry {
    this.#makeRoom()
    const service = record.target_service_name === undefined ? undefined : this.catalog.get(record.target_service_name)
    const handler = service?.handlers.get(record.target_handler_name ?? '')
    const behavior = internals.behavior ?? handler?.behavior ?? {}
    const createdMs = record.created_at === undefined ? this.clock.now() : Date.parse(record.created_at)
    const entry: Entry = {
      seq: this.store.nextSeq(internals.seq),
      record,
      createdMs,
      input: internals.input,
      behavior,
      policy: handler?.policy ?? resolveRetryPolicy(behavior.retryPolicy),
      suspensions: internals.suspensions ?? 0,
      failures: internals.failures ?? 0,
      retryBase: internals.retry_base ?? 0,
      exhausted: internals.exhausted,
      sleepUntil: internals.sleep_until === undefined ? undefined : Date.parse(internals.sleep_until),
      waiters: []
    }
    const key = record.target_service_key ?? null
    if (service !== undefined && handler !== undefined && key !== null && isExclusive(service, handler)) {
      entry.lockKey = `${service.name}/${key}`
    }
    this.store.add(entry)
    if (record.idempotency_key !== undefined) {
      this.#idempotency.set(idempotencyScope(record.target_service_name ?? '', key, record.target_handler_name ?? '', record.idempotency_key), record.id)
    }
    if (handler?.kind === 'workflow') this.#workflowRuns.set(`${service?.name}/${key}`, record.id)
    this.#emit({ type: 'created', invocation: record })
    this.#resumeDriving(entry, internals)
    return entry
  }

  #resumeDriving (entry: Entry, internals: AdoptInternals): void {
    const record = entry.record
    const now = this.clock.now()
    const timerAt = internals.timerAt
    switch (record.status) {
      case 'completed': {
        entry.completion = internals.completion ?? completionOf(record)
        const completedAt = Date.parse(record.completed_at ?? record.modified_at ?? iso(now))
        const expires = (internals.asGiven === true ? Math.max(now, completedAt) : completedAt) + this.retentionMs
        this.#retain(entry, Math.max(now, expires))
        return
      }
      case 'pending': {
        const start = record.scheduled_start_at === undefined ? undefined : Date.parse(record.scheduled_start_at)
        if (start !== undefined && start > now && record.inboxed_at === undefined) {
          this.#arm(entry, start, () => this.#scheduledStart(entry))
        } else {
          this.#scheduledStart(entry)
        }
        return
      }
      case 'ready':
      case 'running':
        if (entry.lockKey !== undefined) this.#locks.set(entry.lockKey, record.id)
        if (record.status === 'running' && internals.outcome !== undefined && timerAt !== undefined) {
          // A snapshot's running attempt carries on to the outcome it had drawn.
          const service = record.target_service_name as string
          this.#running.set(service, (this.#running.get(service) ?? 0) + 1)
          const outcome = internals.outcome
          entry.outcome = outcome
          this.#arm(entry, Math.max(now, timerAt), () => this.#finishAttempt(entry, outcome))
          return
        }
        if (record.status === 'running') {
          // The attempt that was running is lost; it starts over as a fresh attempt.
          record.status = 'ready'
        }
        this.#enqueueReady(entry)
        return
      case 'backing-off': {
        if (entry.lockKey !== undefined) this.#locks.set(entry.lockKey, record.id)
        const at = timerAt ?? (record.next_retry_at == null ? now : Date.parse(record.next_retry_at))
        this.#arm(entry, Math.max(now, at), () => {
          entry.timer = undefined
          entry.timerAt = undefined
          this.#makeReady(entry, { next_retry_at: null })
        })
        return
      }
      case 'suspended':
        if (entry.lockKey !== undefined) this.#locks.set(entry.lockKey, record.id)
        // A suspended record wakes when its timer says, or on `resume` if none is known.
        if (timerAt !== undefined && record.paused !== true) {
          this.#arm(entry, Math.max(now, timerAt), () => this.#wake(entry))
        }
    }
  }
}

/**
 * Why an id is not an invocation id, in Restate's words: the character after `inv_` is the
 * codec version (`1`), then the length must be right. Undefined for a well-formed id.
 */
export function invocationIdProblem (id: string): string | undefined {
  if (INVOCATION_ID.test(id)) return undefined
  if (!id.startsWith('inv_1')) return 'unrecognized codec version'
  if (id.length !== 38) return 'bad length'
  return 'bad encoding'
}

function isExclusive (service: ServiceInfo, handler: HandlerInfo): boolean {
  return service.type !== 'service' && (handler.kind === 'exclusive' || handler.kind === 'workflow')
}

function idempotencyScope (service: string, key: string | null, handler: string, idempotencyKey: string): string {
  return JSON.stringify([service, key, handler, idempotencyKey])
}

/** Sets fields; an `undefined` value removes the field, so records never carry `undefined`. */
function assign (record: Invocation, fields: Partial<Invocation>): void {
  const target = record as Record<string, unknown>
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) delete target[name]
    else target[name] = value
  }
}

function completionOf (record: Invocation): Completion {
  if (record.completion_result === 'failure' && record.completion_failure !== undefined) {
    const match = /^\[(\d+)\]\s?(.*)$/s.exec(record.completion_failure)
    if (match !== null) return { ok: false, code: Number(match[1]), message: match[2] }
    return { ok: false, code: 500, message: record.completion_failure }
  }
  return { ok: true, output: null }
}

// Watching invocations (a poller that reads every watched invocation every <= 20 ms) and
// recording what a scenario saw, with ids and times masked.
import type { InvocationView, Target } from './target.js'

export const POLL_INTERVAL_MS = 20

/** One reading: the poll that made it started at `startedAt` and answered at `at`. */
export interface Sample { startedAt: number, at: number, view: InvocationView | undefined }

/** A status as compared: the seed status, with `+paused` when the invocation is paused. */
export function statusLabel (v: InvocationView | undefined): string {
  if (v === undefined) return 'gone'
  return v.paused ? `${v.status}+paused` : v.status
}

export interface Segment { status: string, firstAt: number, lastAt: number, samples: number }

/** Everything seen of one invocation, sample by sample. */
export class Trace {
  readonly samples: Sample[] = []
  constructor (readonly id: string) {}

  get last (): InvocationView | undefined {
    return this.samples.length === 0 ? undefined : this.samples[this.samples.length - 1].view
  }

  /** Consecutive samples with the same status collapsed into one segment. */
  segments (): Segment[] {
    const out: Segment[] = []
    for (const s of this.samples) {
      const label = statusLabel(s.view)
      const prev = out[out.length - 1]
      if (prev !== undefined && prev.status === label) {
        prev.lastAt = s.at
        prev.samples++
      } else {
        out.push({ status: label, firstAt: s.at, lastAt: s.at, samples: 1 })
      }
    }
    // A leading 'gone' only means the invocation was not visible yet.
    while (out.length > 0 && out[0].status === 'gone') out.shift()
    return out
  }
}

type Waiter = { id: string, pred: (v: InvocationView | undefined) => boolean, resolve: (v: InvocationView | undefined) => void }

/** Polls one target for every watched invocation, every POLL_INTERVAL_MS (one request at a time). */
export class Poller {
  private readonly traces = new Map<string, Trace>()
  private readonly active = new Set<string>()
  private waiters: Waiter[] = []
  private running = false
  private stopped = false
  private timer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private loopDone: Promise<void> = Promise.resolve()
  lastError: Error | undefined

  constructor (private readonly target: Target) {}

  watch (id: string): Trace {
    let t = this.traces.get(id)
    if (t === undefined) {
      t = new Trace(id)
      this.traces.set(id, t)
    }
    this.active.add(id)
    this.start()
    return t
  }

  unwatch (id: string): void {
    this.active.delete(id)
  }

  trace (id: string): Trace {
    const t = this.traces.get(id)
    if (t === undefined) throw new Error(`${id} is not watched`)
    return t
  }

  /**
   * Resolves with the first reading (from now on) that satisfies pred; rejects after timeoutMs
   * with what was seen so far.
   */
  async waitFor (id: string, pred: (v: InvocationView | undefined) => boolean, timeoutMs: number, what = 'condition'): Promise<InvocationView | undefined> {
    const trace = this.watch(id)
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter(w => w !== waiter)
        const seen = trace.segments().map(s => s.status).join(' → ')
        reject(new Error(`[${this.target.name}] ${id}: timed out after ${timeoutMs} ms waiting for ${what}; seen: ${seen}; last: ${JSON.stringify(trace.last)}` +
          (this.lastError !== undefined ? `; last poll error: ${this.lastError.message}` : '')))
      }, timeoutMs)
      const waiter: Waiter = {
        id,
        pred,
        resolve: (v) => { clearTimeout(timer); resolve(v) }
      }
      this.waiters.push(waiter)
    })
  }

  async waitForStatus (id: string, status: string, timeoutMs: number): Promise<InvocationView | undefined> {
    return await this.waitFor(id, v => statusLabel(v) === status, timeoutMs, `status ${status}`)
  }

  /** Reads the given (watched) invocations once, now, and records the readings. */
  async readNow (ids: string[]): Promise<void> {
    const started = Date.now()
    const views = await this.target.readMany(ids)
    this.record(ids, views, started, Date.now())
  }

  private record (ids: string[], views: Map<string, InvocationView>, started: number, at: number): void {
    for (const id of ids) {
      const trace = this.traces.get(id)
      if (trace === undefined) continue
      const view = views.get(id)
      trace.samples.push({ startedAt: started, at, view })
      for (const w of this.waiters.filter(w => w.id === id)) {
        if (w.pred(view)) {
          this.waiters = this.waiters.filter(x => x !== w)
          w.resolve(view)
        }
      }
    }
  }

  private start (): void {
    if (this.running || this.stopped) return
    this.running = true
    this.loopDone = this.loop()
  }

  private async loop (): Promise<void> {
    while (!this.stopped && this.active.size > 0) {
      const started = Date.now()
      const ids = [...this.active]
      try {
        const views = await this.target.readMany(ids)
        this.record(ids, views, started, Date.now())
        this.lastError = undefined
      } catch (err) {
        this.lastError = err as Error
      }
      const wait = Math.max(0, POLL_INTERVAL_MS - (Date.now() - started))
      await new Promise<void>(resolve => {
        this.wake = resolve
        this.timer = setTimeout(resolve, wait)
      })
    }
    this.running = false
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.wake?.()
    await this.loopDone
  }
}

// ---------------------------------------------------------------------------------------------
// Masking: ids and times differ between runs and targets; they are replaced by stable tokens.

export class Masker {
  private readonly ids = new Map<string, string>()

  /** Names an id explicitly (e.g. inv_A for the first invocation of a scenario). */
  name (id: string, token: string): void {
    this.ids.set(id, token)
  }

  private token (id: string, prefix: string): string {
    let t = this.ids.get(id)
    if (t === undefined) {
      t = `${prefix}<${this.ids.size + 1}>`
      this.ids.set(id, t)
    }
    return t
  }

  str (s: string): string {
    return s
      .replace(/inv_[0-9A-Za-z]{20,}/g, id => this.token(id, 'inv_'))
      .replace(/dp_[0-9A-Za-z]{20,}/g, id => this.token(id, 'dp_'))
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<time>')
  }

  value (v: unknown): unknown {
    if (typeof v === 'string') return this.str(v)
    if (Array.isArray(v)) return v.map(x => this.value(x))
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) out[k] = this.value(x)
      return out
    }
    return v
  }
}

// ---------------------------------------------------------------------------------------------
// What a scenario records.

export interface HttpRecord {
  status: number
  /** Parsed JSON when the body is JSON, the text otherwise ('' when empty); masked. */
  body: unknown
  /** x-restate-error-source, when present. */
  errorSource?: string
}

export interface InvocationRecord {
  /** Collapsed status sequence with how long each status was seen (ms, from first sighting to the next status). */
  segments: Array<{ status: string, ms: number }>
  /** retry_count values seen while backing-off, in order, deduplicated. */
  backingOffRetryCounts: number[]
  /** For each retry, bounds of next_retry_at - the time of the failure (ms): [min, max], in order. */
  retryDelaysMs: Array<[number, number]>
  /** The distinct last_failure values seen, in order (in the seed's `[code] message` form). */
  lastFailures: string[]
  /** `status:retry_count` as the readings went (consecutive duplicates collapsed). */
  statusRetryCounts: string[]
  /** The last reading, masked, without times (undefined once gone). */
  final: Record<string, unknown> | undefined
}

export interface Observation {
  /** Labelled HTTP exchanges (ingress and admin), in the order the scenario made them. */
  http: Record<string, HttpRecord>
  /** Values returned or errors thrown by the official client. */
  client: Record<string, unknown>
  /** Labelled invocations (inv_A, inv_B, …). */
  invocations: Record<string, InvocationRecord>
}

export function recordInvocation (trace: Trace, masker: Masker): InvocationRecord {
  const segs = trace.segments()
  const segments = segs.map((s, i) => ({
    status: s.status,
    ms: i + 1 < segs.length ? segs[i + 1].firstAt - s.firstAt : -1
  }))
  const backingOffRetryCounts: number[] = []
  const retryDelaysMs: Array<[number, number]> = []
  const seenRetry = new Set<string>()
  trace.samples.forEach(({ at, view }, i) => {
    if (view === undefined || view.status !== 'backing-off') return
    if (view.retry_count !== null && backingOffRetryCounts[backingOffRetryCounts.length - 1] !== view.retry_count) {
      backingOffRetryCounts.push(view.retry_count)
    }
    // The delay chosen for a retry: from the failure to next_retry_at. Neither target records
    // when an attempt failed (the real server's modified_at does not move then, and last_start_at
    // is the attempt's start, which can be hundreds of ms earlier), so the failure's time is
    // bracketed by polls: after the previous poll started, before this one answered.
    if (view.next_retry_at !== null) {
      const key = String(view.next_retry_at)
      if (!seenRetry.has(key)) {
        seenRetry.add(key)
        const after = trace.samples[Math.max(0, i - 1)].startedAt
        retryDelaysMs.push([view.next_retry_at - at, view.next_retry_at - after])
      }
    }
  })
  const statusRetryCounts: string[] = []
  const lastFailures: string[] = []
  for (const { view } of trace.samples) {
    if (view === undefined) continue
    const failure = view.last_failure === null ? null : masker.str(view.last_failure)
    if (failure !== null && !lastFailures.includes(failure)) lastFailures.push(failure)
    const entry = `${statusLabel(view)}:${view.retry_count ?? '-'}`
    if (statusRetryCounts[statusRetryCounts.length - 1] !== entry) statusRetryCounts.push(entry)
  }
  const last = trace.last
  let final: Record<string, unknown> | undefined
  if (last !== undefined) {
    final = masker.value({
      status: last.status,
      paused: last.paused,
      rawStatus: last.rawStatus,
      retry_count: last.retry_count,
      last_failure: last.last_failure,
      next_retry_at: last.next_retry_at === null ? null : '<time>',
      completion_result: last.completion_result,
      completion_failure: last.completion_failure
    }) as Record<string, unknown>
  }
  return { segments, backingOffRetryCounts, retryDelaysMs, lastFailures, statusRetryCounts, final }
}

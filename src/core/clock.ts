/**
 * One clock per emulator. Every delay in the emulator is a timer in this clock's single
 * priority queue; nothing else reads the wall clock or arms a Node timer per invocation.
 */

/** What a scheduled callback is handed back as, so it can be cancelled. */
export interface Timer {
  readonly at: number
  readonly seq: number
  /**
   * A background timer (retention expiry, demo traffic) does not keep the emulator busy:
   * `runUntilIdle()` and `waitFor()` stop when only background timers remain, like `unref()`.
   */
  readonly background: boolean
  cancelled: boolean
  readonly fire: () => void
}

export interface ScheduleOptions {
  background?: boolean
}

/** What `advance`, `advanceTo` and `runUntilIdle` report. */
export interface ClockRun {
  from: string
  to: string
  fired: number
  /** True when a run stopped at its timer budget with work left. */
  truncated: boolean
}

export type ClockMode = 'real' | 'manual'

export interface Clock {
  readonly mode: ClockMode
  /** Emulated time in epoch milliseconds. */
  now(): number
  schedule(at: number, fire: () => void, options?: ScheduleOptions): Timer
  cancel(timer: Timer | undefined): void
  /** Number of pending non-background timers. */
  pendingWork(): number
  /** Time of the next pending timer (background included), or undefined. */
  nextAt(): number | undefined
  /** Stops a real clock's Node timer; a stopped clock fires nothing more. */
  stop(): void
}

/** A binary min-heap of timers ordered by (at, seq), with lazy removal of cancelled ones. */
export class TimerQueue {
  #heap: Timer[] = []
  #seq = 0
  #work = 0

  get size (): number { return this.#heap.length }
  get work (): number { return this.#work }

  push (at: number, fire: () => void, background: boolean): Timer {
    const timer: Timer = { at, seq: this.#seq++, background, cancelled: false, fire }
    const heap = this.#heap
    heap.push(timer)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i], heap[parent])) break
      swap(heap, i, parent)
      i = parent
    }
    if (!background) this.#work++
    return timer
  }

  cancel (timer: Timer): void {
    if (timer.cancelled) return
    timer.cancelled = true
    if (!timer.background) this.#work--
  }

  peek (): Timer | undefined {
    this.#dropCancelled()
    return this.#heap[0]
  }

  /** Removes and returns the earliest live timer due at or before `at`. */
  popDue (at: number): Timer | undefined {
    const head = this.peek()
    if (head === undefined || head.at > at) return undefined
    this.#pop()
    if (!head.background) this.#work--
    head.cancelled = true
    return head
  }

  clear (): void {
    // Marked cancelled so that a holder cancelling one later does not count the work down again.
    for (const timer of this.#heap) timer.cancelled = true
    this.#heap = []
    this.#work = 0
  }

  #dropCancelled (): void {
    while (this.#heap.length > 0 && this.#heap[0].cancelled) this.#pop()
  }

  #pop (): void {
    const heap = this.#heap
    const last = heap.pop() as Timer
    if (heap.length === 0) return
    heap[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && before(heap[l], heap[m])) m = l
      if (r < heap.length && before(heap[r], heap[m])) m = r
      if (m === i) break
      swap(heap, i, m)
      i = m
    }
  }
}

function before (a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

function swap (heap: Timer[], i: number, j: number): void {
  const t = heap[i]
  heap[i] = heap[j]
  heap[j] = t
}

/** How many timers one `runUntilIdle()` fires at most, so endless demo traffic cannot hang it. */
export const RUN_UNTIL_IDLE_BUDGET = 1_000_000

/**
 * How many timers one `advance`/`advanceTo` fires at most. Demo traffic arrives forever, so a
 * jump of years with traffic on would otherwise fire billions of timers in one call; past the
 * budget the clock stops where it got to and the run says `truncated`.
 */
export const ADVANCE_BUDGET = 250_000

/**
 * Time moves only when told. Timers fire in (time, insertion) order; a timer scheduled by a
 * firing timer for a time inside the current advance fires in the same advance.
 */
export class ManualClock implements Clock {
  readonly mode = 'manual' as const
  #now: number
  #queue = new TimerQueue()

  constructor (start: number) {
    this.#now = start
  }

  now (): number { return this.#now }

  schedule (at: number, fire: () => void, options: ScheduleOptions = {}): Timer {
    return this.#queue.push(Math.max(at, this.#now), fire, options.background === true)
  }

  cancel (timer: Timer | undefined): void {
    if (timer !== undefined) this.#queue.cancel(timer)
  }

  pendingWork (): number { return this.#queue.work }
  nextAt (): number | undefined { return this.#queue.peek()?.at }

  advance (ms: number): ClockRun {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance the clock by ${ms} ms`)
    return this.advanceTo(this.#now + ms)
  }

  advanceTo (target: number, budget = ADVANCE_BUDGET): ClockRun {
    if (!Number.isFinite(target) || Number.isNaN(new Date(target).getTime())) throw new RangeError('cannot advance the clock to an invalid time')
    if (target < this.#now) {
      throw new RangeError(`cannot move the clock back from ${iso(this.#now)} to ${iso(target)}`)
    }
    const from = this.#now
    let fired = 0
    for (let timer = this.#queue.popDue(target); timer !== undefined; timer = this.#queue.popDue(target)) {
      this.#now = Math.max(this.#now, timer.at)
      fired++
      timer.fire()
      if (fired >= budget && (this.#queue.peek()?.at ?? Infinity) <= target) {
        return { from: iso(from), to: iso(this.#now), fired, truncated: true }
      }
    }
    this.#now = target
    return { from: iso(from), to: iso(target), fired, truncated: false }
  }

  /** Fires timers in order until no work timer is left (background timers alone do not count). */
  runUntilIdle (budget = RUN_UNTIL_IDLE_BUDGET): ClockRun {
    const from = this.#now
    let fired = 0
    while (this.#queue.work > 0 && fired < budget) {
      const next = this.#queue.peek() as Timer
      const timer = this.#queue.popDue(next.at) as Timer
      this.#now = Math.max(this.#now, timer.at)
      fired++
      timer.fire()
    }
    return { from: iso(from), to: iso(this.#now), fired, truncated: this.#queue.work > 0 }
  }

  /** Drops every timer and sets the time, for `reset`. */
  reset (start: number): void {
    this.#queue.clear()
    this.#now = start
  }

  /** Fires the earliest pending timer of any kind; false when none is left. */
  step (): boolean {
    const next = this.#queue.peek()
    if (next === undefined) return false
    this.advanceTo(next.at)
    return true
  }

  stop (): void {
    this.#queue.clear()
  }
}

/**
 * Wall-clock time, optionally sped up: at `speed` 10, one real second is ten emulated seconds.
 * One Node timer is armed for the earliest queued timer at any moment.
 */
export class RealClock implements Clock {
  readonly mode = 'real' as const
  readonly speed: number
  #origin: number
  #monoOrigin: number
  #queue = new TimerQueue()
  #handle: NodeJS.Timeout | undefined
  #armedAt = Infinity
  #stopped = false
  /** Lateness of fired timers in emulated ms, for measuring drift under load. */
  readonly lateness = { count: 0, total: 0, max: 0 }

  constructor (speed = 1, start = Date.now()) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`)
    this.speed = speed
    this.#origin = start
    this.#monoOrigin = performance.now()
  }

  now (): number {
    return Math.floor(this.#origin + (performance.now() - this.#monoOrigin) * this.speed)
  }

  schedule (at: number, fire: () => void, options: ScheduleOptions = {}): Timer {
    const timer = this.#queue.push(at, fire, options.background === true)
    if (at < this.#armedAt) this.#arm()
    return timer
  }

  cancel (timer: Timer | undefined): void {
    if (timer !== undefined) this.#queue.cancel(timer)
  }

  pendingWork (): number { return this.#queue.work }
  nextAt (): number | undefined { return this.#queue.peek()?.at }

  /** Drops every timer; time goes on. */
  reset (): void {
    this.#queue.clear()
    this.#arm()
  }

  stop (): void {
    this.#stopped = true
    if (this.#handle !== undefined) clearTimeout(this.#handle)
    this.#handle = undefined
    this.#queue.clear()
  }

  #arm (): void {
    if (this.#stopped) return
    const next = this.#queue.peek()
    if (this.#handle !== undefined) clearTimeout(this.#handle)
    this.#handle = undefined
    this.#armedAt = Infinity
    if (next === undefined) return
    this.#armedAt = next.at
    const delay = Math.max(0, (next.at - this.now()) / this.speed)
    // Node caps timers at 2^31-1 ms; a later timer is re-armed when this one fires.
    this.#handle = setTimeout(() => this.#fireDue(), Math.min(Math.ceil(delay), 2_147_483_647))
    this.#handle.unref()
  }

  #fireDue (): void {
    this.#handle = undefined
    this.#armedAt = Infinity
    const now = this.now()
    // Timers scheduled by callbacks for "now" fire in this same pass, in order.
    for (let timer = this.#queue.popDue(now); timer !== undefined && !this.#stopped; timer = this.#queue.popDue(now)) {
      const late = now - timer.at
      this.lateness.count++
      this.lateness.total += late
      if (late > this.lateness.max) this.lateness.max = late
      timer.fire()
    }
    this.#arm()
  }
}

let lastIsoMs = NaN
let lastIso = ''

/**
 * RFC 3339 UTC with milliseconds. Every event of a timer pass stamps the same instant, so the
 * last answer is kept: formatting dates was the engine's largest single cost under load.
 */
export function iso (ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString()
    lastIsoMs = ms
  }
  return lastIso
}

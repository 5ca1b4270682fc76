import type { Invocation } from './invocation.js'
import type { Status } from './lifecycle.js'
import type { AttemptOutcome, HandlerBehavior, ResolvedRetryPolicy } from './behavior.js'
import type { Timer } from './clock.js'

/** What a finished invocation answers to callers and attachers. */
export type Completion =
  | { ok: true, output: unknown }
  | { ok: false, code: number, message: string }

/** An invocation and the emulator's private state about it. */
export interface Entry {
  /** Insertion order; with `createdMs` it orders the list and its cursors. */
  readonly seq: number
  readonly record: Invocation
  createdMs: number
  input: unknown
  behavior: HandlerBehavior
  policy: ResolvedRetryPolicy
  /** `Service/key` when this invocation holds or waits for an exclusive key lock. */
  lockKey?: string
  timer?: Timer
  /** Emulated time the current timer fires at (wake, retry, delayed start), for snapshots. */
  timerAt?: number
  suspensions: number
  /** Transient failures so far (never reset): the attempt number a behaviour sees is this + 1. */
  failures: number
  /** `retry_count` when the current backoff series began (0, or its value at the last resume). */
  retryBase: number
  /** Paused for running out of attempts: a resume grants a fresh budget. */
  exhausted?: boolean
  /** Resumed while sleeping: the next attempt suspends again until this time. */
  sleepUntil?: number
  /** What the running attempt will do when its timer fires. */
  outcome?: AttemptOutcome
  completion?: Completion
  waiters: Array<(completion: Completion) => void>
}

export interface ListFilter {
  statuses?: ReadonlySet<Status>
  service?: string
  handler?: string
  key?: string
  deploymentId?: string
  createdAfter?: number
  createdBefore?: number
  limit: number
  cursor?: Cursor
}

export interface Cursor {
  createdMs: number
  seq: number
}

export interface ListPage {
  entries: Entry[]
  next?: Cursor
}

/**
 * Records by id, plus one array ordered by (created time, insertion) for the newest-first list.
 * A cursor names the last entry served, so entries created or removed meanwhile neither shift
 * nor repeat a page.
 */
export class Store {
  #byId = new Map<string, Entry>()
  /** Ordered entries; removed ones stay (skipped) until a compaction, so removal is O(1). */
  #order: Entry[] = []
  #removed = new WeakSet<Entry>()
  #removedCount = 0
  /** Entries not completed: a list filtered to in-flight statuses looks only at these. */
  #inFlight = new Set<Entry>()
  #seq = 0

  get size (): number { return this.#byId.size }

  /** The next insertion number; `at` claims a given one (a snapshot's order) and moves the count past it. */
  nextSeq (at?: number): number {
    if (at === undefined) return this.#seq++
    if (at >= this.#seq) this.#seq = at + 1
    return at
  }

  get (id: string): Entry | undefined { return this.#byId.get(id) }

  has (id: string): boolean { return this.#byId.has(id) }

  add (entry: Entry): void {
    this.#byId.set(entry.record.id, entry)
    this.noteStatus(entry)
    const order = this.#order
    const last = order[order.length - 1]
    if (last === undefined || compare(last, entry) < 0) {
      order.push(entry)
      return
    }
    order.splice(lowerBound(order, entry), 0, entry)
  }

  delete (id: string): Entry | undefined {
    const entry = this.#byId.get(id)
    if (entry === undefined) return undefined
    this.#byId.delete(id)
    this.#inFlight.delete(entry)
    this.#removed.add(entry)
    this.#removedCount++
    if (this.#removedCount > 1024 && this.#removedCount * 2 > this.#order.length) this.#compact()
    return entry
  }

  /** Called after an entry's status changed, to keep the in-flight index. */
  noteStatus (entry: Entry): void {
    if (entry.record.status === 'completed') this.#inFlight.delete(entry)
    else this.#inFlight.add(entry)
  }

  clear (): void {
    this.#inFlight.clear()
    this.#byId.clear()
    this.#order = []
    this.#removed = new WeakSet()
    this.#removedCount = 0
    this.#seq = 0
  }

  /** Every entry, oldest first. */
  values (): readonly Entry[] {
    if (this.#removedCount > 0) this.#compact()
    return this.#order
  }

  #compact (): void {
    this.#order = this.#order.filter(e => !this.#removed.has(e))
    this.#removed = new WeakSet()
    this.#removedCount = 0
  }

  list (filter: ListFilter): ListPage {
    if (filter.statuses !== undefined && !filter.statuses.has('completed') && this.#inFlight.size * 4 < this.#byId.size) {
      // Few in flight among many kept: sort the in-flight ones rather than scan everything.
      return this.#page([...this.#inFlight].sort(compare), filter)
    }
    return this.#page(this.#order, filter)
  }

  /** Walks `order` (ascending) backwards from the cursor, collecting matches up to the limit. */
  #page (order: readonly Entry[], filter: ListFilter): ListPage {
    let i = filter.cursor === undefined ? order.length - 1 : lowerBound(order, filter.cursor) - 1
    const entries: Entry[] = []
    for (; i >= 0; i--) {
      const entry = order[i]
      if (this.#removedCount > 0 && this.#removed.has(entry)) continue
      if (filter.createdBefore !== undefined && entry.createdMs >= filter.createdBefore) continue
      if (filter.createdAfter !== undefined && entry.createdMs <= filter.createdAfter) break
      if (!matches(entry.record, filter)) continue
      if (entries.length === filter.limit) {
        const lastServed = entries[entries.length - 1]
        return { entries, next: { createdMs: lastServed.createdMs, seq: lastServed.seq } }
      }
      entries.push(entry)
    }
    return { entries }
  }
}

/** First index whose entry is not before `key`. */
function lowerBound (order: readonly Cursor[], key: Cursor): number {
  let lo = 0
  let hi = order.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (compare(order[mid], key) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

function compare (a: Cursor, b: Cursor): number {
  return a.createdMs - b.createdMs || a.seq - b.seq
}

function matches (record: Invocation, filter: ListFilter): boolean {
  if (filter.statuses !== undefined && !filter.statuses.has(record.status)) return false
  if (filter.service !== undefined && record.target_service_name !== filter.service) return false
  if (filter.handler !== undefined && record.target_handler_name !== filter.handler) return false
  if (filter.key !== undefined && record.target_service_key !== filter.key) return false
  if (filter.deploymentId !== undefined && record.deployment_id !== filter.deploymentId) return false
  return true
}

export function encodeCursor (cursor: Cursor): string {
  return Buffer.from(`${cursor.createdMs}.${cursor.seq}`).toString('base64url')
}

export function decodeCursor (text: string): Cursor | undefined {
  const match = /^(-?\d+)\.(\d+)$/.exec(Buffer.from(text, 'base64url').toString('utf8'))
  if (match === null) return undefined
  return { createdMs: Number(match[1]), seq: Number(match[2]) }
}

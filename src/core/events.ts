import type { Engine, EngineEvent } from './engine.js'
import type { Status } from './lifecycle.js'
import { iso } from './clock.js'

/** One event as the stream serves it: numbered, timestamped, serialized once. */
export interface LoggedEvent {
  id: number
  type: EngineEvent['type']
  /** The record's status after the event, for filtering without parsing. */
  status: Status
  service: string | undefined
  invocationId: string
  /** The SSE `data:` payload: the event with the full record, as JSON (made on first read). */
  readonly data: string
}

/**
 * A logged event keeps a shallow copy of the record (its fields are plain values, so the copy
 * is exact even as the engine mutates the record) and serializes it only when first read: most
 * events of a busy emulator are never streamed.
 */
class Logged implements LoggedEvent {
  readonly id: number
  readonly type: EngineEvent['type']
  readonly status: Status
  readonly service: string | undefined
  readonly invocationId: string
  #payload: Record<string, unknown> | undefined
  #data: string | undefined

  constructor (id: number, event: EngineEvent, at: string) {
    const invocation = event.invocation
    this.id = id
    this.type = event.type
    this.status = invocation.status
    this.service = invocation.target_service_name
    this.invocationId = invocation.id
    const payload: Record<string, unknown> = { id, type: event.type, at }
    if (event.type === 'transition') {
      payload.from = event.from
      payload.to = event.to
    }
    if (event.type === 'purged') payload.reason = event.reason
    payload.invocation = { ...invocation }
    this.#payload = payload
  }

  get data (): string {
    if (this.#data === undefined) {
      this.#data = JSON.stringify(this.#payload)
      this.#payload = undefined
    }
    return this.#data
  }
}

export const DEFAULT_EVENT_BUFFER = 10_000

/**
 * Numbers every engine event and keeps the last `capacity` of them, so a stream can resume
 * from `Last-Event-ID` after a reconnect. Serialization happens here, once per event, because
 * the record is mutated in place by the next event.
 */
export class EventLog {
  readonly capacity: number
  /** A ring of the last `capacity` events; ids in it are consecutive, oldest at `#head`. */
  #ring: Array<LoggedEvent | undefined>
  #head = 0
  #size = 0
  #nextId = 1
  #subscribers = new Set<(event: LoggedEvent) => void>()
  #clearListeners = new Set<() => void>()
  #unsubscribe: () => void
  #clock: () => string

  constructor (engine: Engine, capacity = DEFAULT_EVENT_BUFFER) {
    this.capacity = capacity
    this.#ring = new Array(capacity)
    this.#clock = () => iso(engine.clock.now())
    this.#unsubscribe = engine.on(event => this.#record(event))
  }

  get lastId (): number { return this.#nextId - 1 }

  subscribe (listener: (event: LoggedEvent) => void): () => void {
    this.#subscribers.add(listener)
    return () => this.#subscribers.delete(listener)
  }

  /**
   * Called when the log starts over (the emulator was reset or restored from a snapshot): the
   * records a subscriber holds are gone and event ids restart at 1.
   */
  onClear (listener: () => void): () => void {
    this.#clearListeners.add(listener)
    return () => this.#clearListeners.delete(listener)
  }

  /** Events after `id` still in the buffer, oldest first; `complete` is false when some were dropped. */
  since (id: number): { events: LoggedEvent[], complete: boolean } {
    const oldest = this.#nextId - this.#size
    const skip = Math.min(this.#size, Math.max(0, id + 1 - oldest))
    const events: LoggedEvent[] = []
    for (let i = skip; i < this.#size; i++) events.push(this.#ring[(this.#head + i) % this.capacity] as LoggedEvent)
    return { events, complete: id + 1 >= oldest }
  }

  /** Every buffered event, oldest first. */
  all (): LoggedEvent[] { return this.since(0).events }

  clear (): void {
    this.#ring = new Array(this.capacity)
    this.#head = 0
    this.#size = 0
    this.#nextId = 1
    for (const listener of this.#clearListeners) listener()
  }

  close (): void {
    this.#unsubscribe()
    this.#subscribers.clear()
    this.#clearListeners.clear()
  }

  #record (event: EngineEvent): void {
    const logged = new Logged(this.#nextId++, event, this.#clock())
    if (this.#size < this.capacity) {
      this.#ring[(this.#head + this.#size) % this.capacity] = logged
      this.#size++
    } else {
      this.#ring[this.#head] = logged
      this.#head = (this.#head + 1) % this.capacity
    }
    for (const subscriber of this.#subscribers) subscriber(logged)
  }
}

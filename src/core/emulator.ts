import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ManualClock, RealClock, iso, type Clock } from './clock.js'
import { Random } from './random.js'
import { Engine, type EntryInternals } from './engine.js'
import { EventLog } from './events.js'
import { TrafficGenerator } from './traffic.js'
import { Fixture, HandlerBehavior, type Traffic } from './behavior.js'
import { checkFixture } from './catalog.js'
import { FaultRule } from './faults.js'
import { Invocation } from './invocation.js'
import { badRequest } from './errors.js'

/** Where a manual clock starts unless told otherwise: a fixed instant, so runs repeat exactly. */
export const MANUAL_CLOCK_START = Date.parse('2026-01-01T00:00:00.000Z')

export interface CoreOptions {
  fixture: Fixture
  seed: number
  clock: 'real' | 'manual'
  speed: number
  /** Start of a manual clock, epoch ms. */
  startTime?: number
  retentionMs: number
  maxInvocations: number
  eventBuffer?: number
}

export const SnapshotEntry = Type.Object({
  invocation: Invocation,
  input: Type.Optional(Type.Unknown()),
  behavior: Type.Optional(HandlerBehavior),
  outcome: Type.Optional(Type.Unknown()),
  completion: Type.Optional(Type.Unknown()),
  timer_at: Type.Optional(Type.String({ format: 'date-time' })),
  suspensions: Type.Optional(Type.Integer({ minimum: 0 })),
  failures: Type.Optional(Type.Integer({ minimum: 0 })),
  retry_base: Type.Optional(Type.Integer({ minimum: 0 })),
  exhausted: Type.Optional(Type.Boolean()),
  sleep_until: Type.Optional(Type.String({ format: 'date-time' }))
}, { additionalProperties: false })

/** Everything needed to carry on later: records, their private state, the fixture, the rules. */
export const Snapshot = Type.Object({
  format: Type.Literal('restate-emulator-snapshot'),
  version: Type.Literal(1),
  taken_at: Type.String({ format: 'date-time' }),
  fixture: Fixture,
  faults: Type.Array(FaultRule),
  invocations: Type.Array(SnapshotEntry),
  random_state: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 4294967295 }), {
    minItems: 4,
    maxItems: 4,
    description: 'The seeded generator, so that a restored emulator draws what the original would have'
  })),
  deployment: Type.Optional(Type.Object({ id: Type.String({ pattern: '^dp_[0-9A-Za-z]{23}$' }), created_at: Type.String({ format: 'date-time' }) }, { additionalProperties: false }))
}, { additionalProperties: false })
export type Snapshot = Static<typeof Snapshot>

/**
 * One emulator's state and machinery, without any I/O: the clock, the generator, the engine,
 * the event log and the demo traffic, wired together.
 */
export class EmulatorCore {
  readonly clock: Clock
  readonly random: Random
  readonly engine: Engine
  readonly events: EventLog
  readonly traffic: TrafficGenerator
  readonly options: CoreOptions
  #initialFixture: Fixture

  constructor (options: CoreOptions) {
    const problems = checkFixture(options.fixture)
    if (problems.length > 0) throw badRequest(`fixture ${problems[0][0]}: ${problems[0][1]}`)
    this.options = options
    this.#initialFixture = options.fixture
    this.clock = options.clock === 'manual'
      ? new ManualClock(options.startTime ?? MANUAL_CLOCK_START)
      : new RealClock(options.speed)
    this.random = new Random(options.seed)
    this.engine = new Engine({
      clock: this.clock,
      random: this.random,
      fixture: options.fixture,
      retentionMs: options.retentionMs,
      maxInvocations: options.maxInvocations
    })
    this.events = new EventLog(this.engine, options.eventBuffer)
    this.traffic = new TrafficGenerator(this.engine)
    this.#startFixtureTraffic()
  }

  /** Back to the start: initial fixture, time, seed, no rules, seed invocations only. */
  reset (): void {
    this.traffic.stop()
    if (this.clock instanceof ManualClock) this.clock.reset(this.options.startTime ?? MANUAL_CLOCK_START)
    else if (this.clock instanceof RealClock) this.clock.reset()
    this.random.reseed(this.options.seed)
    this.engine.clear()
    this.events.clear()
    this.engine.setFixture(this.#initialFixture)
    this.engine.reset()
    this.#startFixtureTraffic()
  }

  startTraffic (traffic: Traffic): void {
    this.traffic.start(traffic)
  }

  snapshot (): Snapshot {
    return {
      format: 'restate-emulator-snapshot',
      version: 1,
      taken_at: iso(this.clock.now()),
      fixture: this.engine.fixture,
      faults: this.engine.faults.list(),
      invocations: this.engine.store.values().map(entry => ({
        invocation: entry.record,
        ...this.engine.internals(entry)
      })),
      random_state: this.random.getState(),
      deployment: { id: this.engine.deployment.id, created_at: this.engine.deployment.createdAt }
    }
  }

  /** Replaces all state with a snapshot's; refuses (400, naming the field) an invalid one. */
  restore (snapshot: unknown): void {
    if (!Value.Check(Snapshot, snapshot)) {
      const first = Value.Errors(Snapshot, snapshot).First()
      throw badRequest(`snapshot${first?.path ?? ''}: ${first?.message ?? 'invalid'}`)
    }
    const problems = checkFixture(snapshot.fixture)
    if (problems.length > 0) throw badRequest(`snapshot/fixture${problems[0][0]}: ${problems[0][1]}`)
    this.traffic.stop()
    this.engine.clear()
    this.events.clear()
    // A manual clock goes to the snapshot's time, so the restored records and timers are where
    // they were; with the generator's state too, the emulator carries on as the original would.
    if (this.clock instanceof ManualClock) this.clock.reset(Date.parse(snapshot.taken_at))
    if (snapshot.random_state !== undefined) this.random.setState(snapshot.random_state)
    if (snapshot.deployment !== undefined) this.engine.deployment = { id: snapshot.deployment.id, createdAt: snapshot.deployment.created_at }
    this.engine.setFixture(snapshot.fixture)
    for (const rule of snapshot.faults) this.engine.faults.restore(rule)
    // Key holders and running ones first, then the inboxes in the order they were joined, then
    // the ready ones, which must not take a slot or a key that another held. Each keeps its
    // place in the list, so a restored snapshot lists and snapshots exactly as the original.
    const indexed = snapshot.invocations.map((entry, seq) => ({ entry, seq }))
    const status = (e: typeof indexed[number]) => e.entry.invocation.status
    const inboxed = (e: typeof indexed[number]) => e.entry.invocation.inboxed_at ?? '~'
    const ordered = [
      ...indexed.filter(e => status(e) !== 'pending' && status(e) !== 'ready'),
      ...indexed.filter(e => status(e) === 'pending').sort((a, b) => inboxed(a).localeCompare(inboxed(b)) || a.seq - b.seq),
      ...indexed.filter(e => status(e) === 'ready')
    ]
    for (const { entry, seq } of ordered) {
      const { invocation, ...internals } = entry
      this.engine.restore(invocation, internals as Partial<EntryInternals>, seq)
    }
  }

  close (): void {
    this.traffic.stop()
    this.events.close()
    this.engine.clear()
    this.clock.stop()
  }

  #startFixtureTraffic (): void {
    const traffic = this.engine.fixture.traffic
    if (traffic !== undefined && traffic.enabled !== false) this.traffic.start(traffic)
  }
}

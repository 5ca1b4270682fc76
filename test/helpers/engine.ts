import { ManualClock } from '../../src/core/clock.js'
import { Random } from '../../src/core/random.js'
import { Engine, type EngineEvent } from '../../src/core/engine.js'
import type { Fixture } from '../../src/core/behavior.js'
import { TEST_FIXTURE } from './emulator.js'
import { assertInvocation } from './schema.js'

export const T0 = Date.parse('2026-01-01T00:00:00.000Z')

/** A pure engine on a manual clock; every event's record is checked against the seed schema. */
export function makeEngine (fixture: Fixture = TEST_FIXTURE, seed = 1): { engine: Engine, clock: ManualClock, events: EngineEvent[], statuses: (id: string) => string[] } {
  const clock = new ManualClock(T0)
  const engine = new Engine({ clock, random: new Random(seed), fixture })
  const events: EngineEvent[] = []
  engine.on(event => {
    assertInvocation(event.invocation)
    events.push(structuredClone(event))
  })
  const statuses = (id: string): string[] => events.filter(e => e.invocation.id === id && e.type !== 'updated').map(e => e.type === 'purged' ? 'purged' : e.invocation.status)
  return { engine, clock, events, statuses }
}

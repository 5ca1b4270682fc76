/**
 * Clock drift under load: the default fixture on a real clock at speed 100, with about 10,000
 * invocations in flight, driven straight through the engine (no HTTP, so the measure is the
 * timer queue and the state machine, not request parsing). Reports how late timers fire, in
 * emulated and in real milliseconds, and the throughput that kept that many in flight.
 *
 *   npm run bench:drift                                   (about 40 s)
 *   DRIFT_INFLIGHT=1000,10000,30000 DRIFT_SECONDS=10 npm run bench:drift
 *   DRIFT_RATE=500,1000,2000 npm run bench:drift           (open loop: arrivals per real second)
 *
 * The load is closed-loop: whenever invocations complete, as many new ones arrive, picked from
 * the default fixture's demo traffic mix, so the in-flight count stays at the target. Two
 * changes keep every in-flight invocation on a timer: the concurrency limits are lifted and
 * keyed targets spread over at least 1000 keys. Otherwise a limited service's `ready` queue and
 * the three cart keys' inboxes collect the whole in-flight budget, and those hold no timer.
 * With `DRIFT_RATE` the load is open-loop instead: a fixed number of arrivals per real second,
 * and the in-flight count is whatever that rate and the fixture's timings make it.
 */
import { cpus, loadavg } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { RealClock } from '../src/core/clock.js'
import { EmulatorCore } from '../src/core/emulator.js'
import { DEFAULT_FIXTURE_PATH, loadFixtureFile } from '../src/fixture.js'
import type { Fixture } from '../src/core/behavior.js'

const SPEED = Number(process.env.DRIFT_SPEED ?? 100)
const TARGETS = (process.env.DRIFT_INFLIGHT ?? '10000').split(',').map(Number)
const RATES = process.env.DRIFT_RATE?.split(',').map(Number)
const SECONDS = Number(process.env.DRIFT_SECONDS ?? 15)
const WARMUP_SECONDS = Number(process.env.DRIFT_WARMUP ?? 3)

interface Result {
  load: string
  inFlight: { mean: number, min: number, max: number }
  pendingTimers: number
  fired: number
  lateness: { mean: number, p50: number, p99: number, max: number }
  passLateness: { mean: number, max: number }
  completionsPerSec: number
  timersPerSec: number
  emulatedPerReal: number
  eventLoopUtilization: number
  eventLoopDelayP99: number
  eventLoopDelayMax: number
}

function fixtureWithoutLimits (): Fixture {
  const fixture = loadFixtureFile(DEFAULT_FIXTURE_PATH)
  return { ...fixture, traffic: undefined, services: fixture.services.map(({ concurrency: _, ...s }) => s) }
}

async function run (load: { inFlight: number } | { rate: number }): Promise<Result> {
  const target = 'inFlight' in load ? load.inFlight : 1_000_000
  const base = loadFixtureFile(DEFAULT_FIXTURE_PATH)
  const mix = base.traffic?.mix ?? []
  const totalWeight = mix.reduce((s, m) => s + (m.weight ?? 1), 0)
  const core = new EmulatorCore({
    fixture: fixtureWithoutLimits(),
    seed: 1,
    clock: 'real',
    speed: SPEED,
    retentionMs: 60_000,
    maxInvocations: target * 20,
    eventBuffer: 1000
  })
  const clock = core.clock as RealClock
  const engine = core.engine
  const random = core.random

  // Per-callback lateness: how long after its due time each timer's callback actually ran.
  const samples: number[] = []
  let measuring = false
  const schedule = clock.schedule.bind(clock)
  clock.schedule = (at, fire, options) => schedule(at, () => {
    if (measuring) samples.push(clock.now() - at)
    fire()
  }, options)

  let inFlight = 0
  let completions = 0
  engine.on(event => {
    if (event.type === 'created' && event.invocation.status !== 'completed') inFlight++
    else if (event.type === 'transition' && event.to === 'completed') {
      inFlight--
      completions++
    }
  })

  let arrivals = 0
  const arrive = (): void => {
    let pick = random.next() * totalWeight
    let item = mix[mix.length - 1]
    for (const m of mix) {
      pick -= m.weight ?? 1
      if (pick < 0) { item = m; break }
    }
    const [service, handler] = item.target.split('/')
    const keyed = engine.catalog.get(service)?.type !== 'service'
    const key = keyed ? `key-${random.int(Math.max(item.keys ?? 10, 1000))}` : undefined
    engine.invoke({ service, handler, key, input: item.input ?? null })
    arrivals++
  }
  // Tops up every millisecond of real time; between top-ups the clock drives the engine.
  const began = performance.now()
  const topUp = setInterval(() => {
    const due = 'rate' in load ? Math.floor((performance.now() - began) / 1000 * load.rate) - arrivals : target - inFlight
    for (let n = Math.min(due, target - inFlight); n > 0; n--) arrive()
  }, 1)

  const inFlightSeen: number[] = []
  const sampler = setInterval(() => inFlightSeen.push(inFlight), 50)
  await new Promise(resolve => setTimeout(resolve, WARMUP_SECONDS * 1000))

  clock.lateness.count = 0
  clock.lateness.total = 0
  clock.lateness.max = 0
  inFlightSeen.length = 0
  completions = 0
  measuring = true
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const elu = performance.eventLoopUtilization()
  const startReal = performance.now()
  const startEmulated = clock.now()
  await new Promise(resolve => setTimeout(resolve, SECONDS * 1000))
  measuring = false
  const elapsedReal = (performance.now() - startReal) / 1000
  const elapsedEmulated = (clock.now() - startEmulated) / 1000
  const utilization = performance.eventLoopUtilization(elu).utilization
  delay.disable()
  clearInterval(topUp)
  clearInterval(sampler)
  const pendingTimers = clock.pendingWork()
  const { count, total, max } = clock.lateness
  core.close()

  samples.sort((a, b) => a - b)
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0
  return {
    load: 'rate' in load ? `${load.rate} arrivals/s (real)` : `${target} in flight`,
    inFlight: {
      mean: Math.round(inFlightSeen.reduce((s, n) => s + n, 0) / Math.max(1, inFlightSeen.length)),
      min: Math.min(...inFlightSeen),
      max: Math.max(...inFlightSeen)
    },
    pendingTimers,
    fired: samples.length,
    lateness: {
      mean: samples.reduce((s, v) => s + v, 0) / Math.max(1, samples.length),
      p50: at(0.5),
      p99: at(0.99),
      max: samples.at(-1) ?? 0
    },
    passLateness: { mean: count === 0 ? 0 : total / count, max },
    completionsPerSec: completions / elapsedReal,
    timersPerSec: samples.length / elapsedReal,
    emulatedPerReal: elapsedEmulated / elapsedReal,
    eventLoopUtilization: utilization,
    eventLoopDelayP99: delay.percentile(99) / 1e6,
    eventLoopDelayMax: delay.max / 1e6
  }
}

function fmt (ms: number): string {
  return `${ms.toFixed(1)} ms (${(ms / SPEED).toFixed(2)} real)`
}

async function main (): Promise<void> {
  process.stdout.write(`restate-emulator drift: default fixture, real clock x${SPEED}, ${SECONDS}s measured after ${WARMUP_SECONDS}s warm-up\n`)
  process.stdout.write(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map(l => l.toFixed(1)).join(' ')}\n`)
  const loads = RATES === undefined ? TARGETS.map(inFlight => ({ inFlight })) : RATES.map(rate => ({ rate }))
  for (const load of loads) {
    const r = await run(load)
    process.stdout.write([
      '',
      `${r.load}: in flight mean ${r.inFlight.mean} (min ${r.inFlight.min}, max ${r.inFlight.max}), ${r.pendingTimers} timers pending at the end`,
      `  timer lateness (emulated ms, per callback): mean ${fmt(r.lateness.mean)}, p50 ${fmt(r.lateness.p50)}, p99 ${fmt(r.lateness.p99)}, max ${fmt(r.lateness.max)}`,
      `  RealClock.lateness (per firing pass):       mean ${fmt(r.passLateness.mean)}, max ${fmt(r.passLateness.max)}`,
      `  throughput: ${Math.round(r.completionsPerSec)} completions/s, ${Math.round(r.timersPerSec)} timers/s (real), emulated time ran at x${r.emulatedPerReal.toFixed(1)}`,
      `  event loop: utilization ${(r.eventLoopUtilization * 100).toFixed(0)}%, delay p99 ${r.eventLoopDelayP99.toFixed(1)} ms, max ${r.eventLoopDelayMax.toFixed(1)} ms`,
      ''
    ].join('\n'))
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})

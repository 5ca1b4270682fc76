import type { Timer } from './clock.js'
import type { Engine } from './engine.js'
import type { Traffic } from './behavior.js'
import { EmulatorError } from './errors.js'

interface MixItem {
  service: string
  handler: string
  weight: number
  keys: number
  input: unknown
}

/**
 * Demo traffic: Poisson arrivals at `rate` per emulated second, over a weighted mix of targets
 * (by default every handler of the catalog). Arrivals are background timers, so they never keep
 * `runUntilIdle` from finishing on their own account.
 */
export class TrafficGenerator {
  #engine: Engine
  #timer: Timer | undefined
  #rate = 0
  #mix: MixItem[] = []
  #total = 0
  generated = 0
  rejected = 0

  constructor (engine: Engine) {
    this.#engine = engine
  }

  get running (): boolean { return this.#timer !== undefined }
  get rate (): number { return this.#rate }

  status (): { enabled: boolean, rate: number, generated: number, rejected: number, mix: Array<{ target: string, weight: number }> } {
    return {
      enabled: this.running,
      rate: this.#rate,
      generated: this.generated,
      rejected: this.rejected,
      mix: this.#mix.map(m => ({ target: `${m.service}/${m.handler}`, weight: m.weight }))
    }
  }

  start (traffic: Traffic): void {
    this.stop()
    this.#mix = this.#resolveMix(traffic)
    if (this.#mix.length === 0) throw new EmulatorError(400, 'demo traffic needs at least one service handler in the fixture')
    this.#total = this.#mix.reduce((sum, m) => sum + m.weight, 0)
    this.#rate = traffic.rate
    this.#scheduleNext()
  }

  stop (): void {
    this.#engine.clock.cancel(this.#timer)
    this.#timer = undefined
  }

  #resolveMix (traffic: Traffic): MixItem[] {
    const catalog = this.#engine.catalog
    if (traffic.mix !== undefined) {
      return traffic.mix.map(m => {
        const [service, handler] = m.target.split('/')
        this.#engine.resolveTarget(service, handler)
        return { service, handler, weight: m.weight ?? 1, keys: m.keys ?? 10, input: m.input ?? null }
      })
    }
    const mix: MixItem[] = []
    for (const service of catalog.services.values()) {
      for (const handler of service.handlers.values()) {
        mix.push({ service: service.name, handler: handler.name, weight: 1, keys: handler.kind === 'workflow' ? 1_000_000 : 10, input: null })
      }
    }
    return mix
  }

  #scheduleNext (): void {
    const random = this.#engine.random
    const gap = -Math.log(1 - random.next()) / this.#rate * 1000
    this.#timer = this.#engine.clock.schedule(this.#engine.clock.now() + gap, () => {
      this.#timer = undefined
      this.#arrive()
      this.#scheduleNext()
    }, { background: true })
  }

  #arrive (): void {
    const random = this.#engine.random
    let pick = random.next() * this.#total
    let item = this.#mix[this.#mix.length - 1]
    for (const m of this.#mix) {
      pick -= m.weight
      if (pick < 0) { item = m; break }
    }
    const service = this.#engine.catalog.get(item.service)
    const key = service === undefined || service.type === 'service' ? undefined : `key-${random.int(item.keys)}`
    try {
      this.#engine.invoke({ service: item.service, handler: item.handler, key, input: item.input })
      this.generated++
    } catch {
      // At the invocation cap (503) or after a fixture change removed the target: drop the arrival.
      this.rejected++
    }
  }
}

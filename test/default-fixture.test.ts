import t from 'tap'
import { createEmulator } from '../src/index.js'
import { STATUSES } from '../src/core/lifecycle.js'
import { assertInvocation } from './helpers/schema.js'

t.test('a minute of demo traffic on the default fixture shows all six statuses', async t => {
  for (const seed of [1, 2, 3]) {
    const emu = await createEmulator({ clock: 'manual', seed, traffic: true })
    t.teardown(() => emu.close())
    const seen = new Map<string, number>()
    const off = emu.core.engine.on(event => {
      assertInvocation(event.invocation)
      seen.set(event.invocation.status, (seen.get(event.invocation.status) ?? 0) + 1)
    })
    for (let second = 0; second < 60; second++) emu.clock.advance('1s')
    off()
    t.same(STATUSES.filter(s => !seen.has(s)), [], `seed ${seed}: every status seen (${JSON.stringify(Object.fromEntries(seen))})`)
    const generated = emu.core.traffic.generated
    t.ok(generated > 150 && generated < 350, `seed ${seed}: about 4 arrivals a second (${generated} in 60 s)`)
    await emu.close()
  }
})

t.test('every default handler can be called', async t => {
  const emu = await createEmulator({ clock: 'manual', seed: 7 })
  t.teardown(() => emu.close())
  for (const [service, info] of emu.core.engine.catalog.services) {
    for (const handler of info.handlers.keys()) {
      const path = info.type === 'service' ? `/${service}/${handler}/send` : `/${service}/k1/${handler}/send`
      const res = await emu.injectIngress({ method: 'POST', url: path, payload: '"x"' })
      t.equal(res.statusCode, 202, path)
    }
  }
  emu.clock.advance('1h')
  for (const inv of emu.invocations.list()) {
    t.ok(inv.status === 'completed' || inv.status === 'suspended', `${inv.target} is ${inv.status} after an hour`)
  }
})

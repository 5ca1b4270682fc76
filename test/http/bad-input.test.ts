import t from 'tap'
import { createEmulator, type EmulatorInstance } from '../../src/index.js'

/**
 * Hostile and malformed input on every route: never a 5xx (503 aside, which is a deliberate
 * answer), and the emulator goes on serving afterwards with its data intact.
 */
const WEIRD = [
  '', ' ', '%', '%zz', '..', '__proto__', 'constructor', '1e400', '99999999999999999999999', '-1', 'PT', 'P1Y', 'NaN',
  'null', '{}', '[]', '"', "'", '\u0000', 'a'.repeat(5000), 'inv_', `inv_1${'a'.repeat(33)}`, `inv_1${'!'.repeat(33)}`
]
const BODIES = [
  '', '{', 'null', '[]', '{}', '"x"', '1e400', '{"__proto__":{"x":1}}', '{"by":"99999999999999999999999"}', '{"by":1e300}',
  '{"to":"9999-12-31T23:59:59Z"}', '{"to":"+275760-09-13T00:00:00.001Z"}', '{"rate":1e-300}',
  '{"effect":{"type":"latency","by":"99999999999999999999"}}', '{"to":"completed"}', '[{"id":"x","target":"t","status":"running"}]'
]

t.test('no input makes a route answer 5xx', { timeout: 180_000 }, async t => {
  const emu: EmulatorInstance = await createEmulator({ clock: 'manual', seed: 1 })
  t.teardown(() => emu.close())
  const before = await emu.injectIngress({ method: 'POST', url: '/Greeter/greet/send', payload: '"keep me"' })
  const kept = before.json().invocationId as string
  const failures: string[] = []
  let requests = 0
  const check = async (port: 'ingress' | 'admin', method: string, url: string, payload?: string, headers: Record<string, string> = {}): Promise<void> => {
    const inject = port === 'ingress' ? emu.injectIngress : emu.injectAdmin
    const res = await inject({ method: method as 'GET', url, payload, headers: { 'content-type': 'application/json', accept: 'application/json', ...headers } })
    requests++
    if (res.statusCode >= 500 && res.statusCode !== 503) failures.push(`${res.statusCode} ${method} ${url.slice(0, 80)} ${(payload ?? '').slice(0, 60)}: ${res.body.slice(0, 120)}`)
    if (res.statusCode >= 400) t.notMatch(res.body, /\n\s+at /, 'no stack trace in an error body')
  }
  for (const w of WEIRD) {
    const e = encodeURIComponent(w)
    await check('ingress', 'POST', `/Greeter/greet/send?delay=${e}`, '"x"')
    await check('ingress', 'POST', `/${e}/${e}`, '"x"')
    await check('ingress', 'POST', `/Cart/${e}/addItem/send`, '"x"')
    await check('ingress', 'GET', `/restate/invocation/${e}/attach`)
    await check('ingress', 'GET', `/restate/invocation/${e}/output`)
    await check('ingress', 'GET', `/restate/workflow/${e}/${e}/output`)
    await check('ingress', 'POST', '/Greeter/greet/send', '"x"', { 'x-emulator-behavior': `duration=${w}; output=${w}` })
    for (const route of ['cancel', 'kill', 'purge', 'pause', 'resume', 'restart-as-new']) await check('admin', 'PATCH', `/invocations/${e}/${route}`)
    await check('admin', 'GET', `/invocations?status=${e}&limit=${e}&cursor=${e}&created_after=${e}`)
    await check('admin', 'GET', `/invocations?cursor=${e}`)
    await check('admin', 'GET', `/invocations?created_before=${e}`)
    await check('admin', 'DELETE', `/invocations/${e}?mode=${e}`)
    await check('admin', 'GET', `/services/${e}`)
    await check('admin', 'GET', `/v9/${e}`)
    await check('admin', 'POST', `/_emulator/invocations/${e}/transition`, '{"to":"completed"}')
    await check('admin', 'DELETE', `/_emulator/faults/${e}`)
    await check('admin', 'POST', '/query', JSON.stringify({ query: `SELECT * FROM sys_invocation WHERE id = '${w}' OR status IN (${w}) ORDER BY ${w} LIMIT ${w}` }))
    await check('admin', 'POST', '/query', JSON.stringify({ query: w }))
  }
  for (const body of BODIES) {
    for (const [method, url] of [['POST', '/_emulator/clock/advance'], ['POST', '/_emulator/faults'], ['PUT', '/_emulator/fixture'], ['POST', '/_emulator/invocations'], ['PUT', '/_emulator/snapshot'], ['POST', '/_emulator/traffic'], ['POST', '/query']]) {
      await check('admin', method, url, body)
    }
    await check('ingress', 'POST', '/Greeter/greet/send', body)
  }
  t.same(failures, [], `${requests} requests, none answered 5xx`)
  emu.core.traffic.stop()
  t.equal(emu.invocations.get(kept)?.target, 'Greeter/greet', 'an invocation from before is still there')
  const after = await emu.injectIngress({ method: 'POST', url: '/Greeter/greet/send', payload: '"still here"' })
  t.equal(after.statusCode, 202, 'and the emulator still takes calls')
})

t.test('durations past 100 years are refused, not turned into invalid dates', async t => {
  const emu = await createEmulator({ clock: 'manual', seed: 1 })
  t.teardown(() => emu.close())
  const delay = await emu.injectIngress({ method: 'POST', url: '/Greeter/greet/send?delay=99999999999999999999999' })
  t.equal(delay.statusCode, 400)
  t.match(delay.json().message, /^bad delay query parameter/)
  const advance = await emu.injectAdmin({ method: 'POST', url: '/_emulator/clock/advance', payload: { by: '1000000d' } })
  t.equal(advance.statusCode, 400)
  t.match(advance.json().message, /body\/by/)
  const ok = await emu.injectAdmin({ method: 'POST', url: '/_emulator/clock/advance', payload: { by: '3650d' } })
  t.equal(ok.statusCode, 200, 'ten years is fine')
})

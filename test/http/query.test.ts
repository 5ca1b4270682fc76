import t from 'tap'
import { manualEmulator } from '../helpers/emulator.js'
import type { EmulatorInstance } from '../../src/index.js'

async function send (emu: EmulatorInstance, url: string, payload = '""', headers: Record<string, string> = {}): Promise<string> {
  const res = await emu.injectIngress({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } })
  return res.json().invocationId
}

async function sql (emu: EmulatorInstance, query: string, url = '/query') {
  return emu.injectAdmin({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    payload: JSON.stringify({ query })
  })
}

async function rows (emu: EmulatorInstance, query: string): Promise<Array<Record<string, unknown>>> {
  const res = await sql(emu, query)
  if (res.statusCode !== 200) throw new Error(`${query} → ${res.statusCode} ${res.body}`)
  return res.json().rows
}

t.test('statuses use Restate\'s names; rows look like the real server\'s', async t => {
  const emu = await manualEmulator(t)
  const done = await send(emu, '/Greeter/greet/send')
  emu.clock.advance('1s')
  const failing = await send(emu, '/Flaky/always/send')
  const delayed = await send(emu, '/Greeter/greet/send?delay=1m', '""', { 'idempotency-key': 'k-1' })
  const first = await send(emu, '/Counter/a/add/send', '1')
  const inboxed = await send(emu, '/Counter/a/add/send', '2')
  const terminal = await send(emu, '/Flaky/terminal/send')
  const sleepy = await send(emu, '/Flaky/sleepy/send')
  const paused = await send(emu, '/Flaky/sleepy/send')
  emu.clock.advance('20ms')
  t.equal((await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${failing}/pause` })).statusCode, 202)

  const byId = new Map((await rows(emu, 'SELECT * FROM sys_invocation')).map(r => [r.id, r]))
  const status = (id: string) => byId.get(id)?.status
  t.equal(status(done), 'completed')
  t.equal(status(failing), 'paused')
  t.equal(status(delayed), 'scheduled')
  t.equal(status(first), 'running')
  t.equal(status(inboxed), 'inboxed')
  t.equal(status(terminal), 'completed')
  t.equal(status(sleepy), 'suspended')
  t.equal(status(paused), 'suspended')

  const completed = byId.get(done) as Record<string, unknown>
  t.match(completed, {
    target: 'Greeter/greet',
    target_service_name: 'Greeter',
    target_handler_name: 'greet',
    target_service_ty: 'service',
    invoked_by: 'ingress',
    pinned_deployment_id: /^dp_/,
    journal_size: Number,
    created_using_restate_version: '1.7.12',
    completion_retention: 'PT86400S',
    journal_retention: 'PT86400S',
    completion_result: 'success'
  })
  t.match(completed.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'RFC 3339 with milliseconds, as the real server')
  for (const absent of ['target_service_key', 'retry_count', 'last_start_at', 'next_retry_at', 'last_failure', 'last_attempt_deployment_id', 'completion_failure', 'inboxed_at', 'scheduled_at']) {
    t.notOk(absent in completed, `a completed row has no ${absent} (NULL columns are left out)`)
  }
  t.match(byId.get(terminal), { completion_result: 'failure', completion_failure: '[422] nope' })
  t.match(byId.get(delayed), { idempotency_key: 'k-1', scheduled_start_at: String, scheduled_at: byId.get(delayed)?.created_at })
  t.notOk('journal_size' in (byId.get(delayed) as object), 'not started: no journal')
  t.match(byId.get(first), { target_service_key: 'a', target: 'Counter/a/add', target_service_ty: 'virtual_object', retry_count: 1, last_start_at: String, last_attempt_deployment_id: /^dp_/ })
  t.match(byId.get(inboxed), { inboxed_at: String })
  t.notOk('retry_count' in (byId.get(sleepy) as object), 'suspended: no attempt columns, as the real server')
})

t.test('retry_count counts attempts while backing off and running', async t => {
  const emu = await manualEmulator(t)
  const id = await send(emu, '/Flaky/always/send')
  const read = async () => (await rows(emu, `SELECT id, status, retry_count, last_failure, last_failure_error_code, next_retry_at FROM sys_invocation WHERE id = '${id}'`))[0]
  t.match(await read(), { status: 'running', retry_count: 1 })
  t.notOk('last_failure' in await read())
  emu.clock.advance('10ms')
  t.match(await read(), { status: 'backing-off', retry_count: 1, last_failure: '[500] boom transient', last_failure_error_code: 'RT0007', next_retry_at: String })
  emu.clock.advance('500ms')
  t.match(await read(), { status: 'running', retry_count: 2, last_failure: '[500] boom transient' })
  emu.clock.advance('10ms')
  t.match(await read(), { status: 'backing-off', retry_count: 2 })
  const kill = await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${id}/kill` })
  t.equal(kill.statusCode, 200)
  t.same(await read(), { id, status: 'completed' }, 'completed: the attempt columns are gone')
})

t.test('WHERE, ORDER BY, LIMIT/OFFSET and COUNT(*)', async t => {
  const emu = await manualEmulator(t)
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    ids.push(await send(emu, '/Greeter/greet/send'))
    emu.clock.advance('1s')
  }
  const running = await send(emu, '/Counter/b/add/send')
  const all = await rows(emu, 'SELECT id, created_at FROM sys_invocation ORDER BY created_at DESC')
  t.same(all.map(r => r.id), [running, ...[...ids].reverse()])
  t.same((await rows(emu, 'SELECT id FROM sys_invocation ORDER BY created_at LIMIT 2 OFFSET 1')).map(r => r.id), ids.slice(1, 3))
  t.same((await rows(emu, "select COUNT(*) from sys_invocation where status = 'completed'")), [{ 'count(*)': 5 }])
  t.same((await rows(emu, "SELECT COUNT(*) AS n FROM sys_invocation WHERE status IN ('running', 'backing-off')")), [{ n: 1 }])
  t.same((await rows(emu, "SELECT id FROM sys_invocation WHERE target LIKE 'Counter/%'")), [{ id: running }])
  t.same((await rows(emu, "SELECT id FROM sys_invocation WHERE target_service_key IS NOT NULL AND status != 'completed'")), [{ id: running }])
  t.same((await rows(emu, 'SELECT id FROM sys_invocation WHERE target_service_key IS NULL')).length, 5)
  const third = all.find(r => r.id === ids[2]) as { created_at: string }
  t.same((await rows(emu, `SELECT id FROM sys_invocation WHERE created_at > '${third.created_at}' AND (target_service_name = 'Greeter' OR target_service_name = 'Nope') ORDER BY id`)).map(r => r.id),
    [ids[3], ids[4]].sort())
  t.same((await rows(emu, `SELECT id FROM sys_invocation WHERE created_at <= ${Date.parse(third.created_at)} ORDER BY created_at`)).map(r => r.id), ids.slice(0, 3),
    'timestamps also compare with epoch milliseconds')
  t.same((await rows(emu, "SELECT id, status FROM sys_invocation WHERE id = 'inv_nope';")), [])
})

t.test('versioned paths, and every error is a 400/406 naming the problem', async t => {
  const emu = await manualEmulator(t)
  await send(emu, '/Greeter/greet/send')
  const v4 = await sql(emu, 'SELECT COUNT(*) FROM sys_invocation', '/v4/query')
  t.equal(v4.statusCode, 200)
  t.same(v4.json(), { rows: [{ 'count(*)': 1 }] })

  const cases: Array<[string, RegExp]> = [
    ['SELECT * FROM sys_journal', /table 'sys_journal' is not known/],
    ['SELECT vqueue_id FROM sys_invocation', /column 'vqueue_id' is not a column of sys_invocation/],
    ['SELECT status, COUNT(*) FROM sys_invocation GROUP BY status', /GROUP BY, which is not supported/],
    ['SELECT id FROM sys_invocation WHERE id ILIKE \'x\'', /ILIKE .* is not supported/],
    ["SELECT id FROM sys_invocation WHERE retry_count = 'x'", /'x' is not a number/],
    ['UPDATE sys_invocation SET status = 1', /UPDATE .* is not supported/],
    ['SELECT', /expected a column name, \* or COUNT\(\*\), found the end of the query/]
  ]
  for (const [query, message] of cases) {
    const res = await sql(emu, query)
    t.equal(res.statusCode, 400, query)
    t.match(res.json(), { message, restate_code: null }, query)
  }

  const noQuery = await emu.injectAdmin({ method: 'POST', url: '/query', headers: { 'content-type': 'application/json', accept: 'application/json' }, payload: '{}' })
  t.equal(noQuery.statusCode, 400)
  t.match(noQuery.json(), { message: /query/, restate_code: null })

  for (const accept of [undefined, '*/*', 'application/vnd.apache.arrow.stream', 'text/csv']) {
    const res = await emu.injectAdmin({
      method: 'POST',
      url: '/query',
      headers: { 'content-type': 'application/json', ...(accept === undefined ? {} : { accept }) },
      payload: JSON.stringify({ query: 'SELECT id FROM sys_invocation' })
    })
    t.equal(res.statusCode, 406, `accept ${accept}`)
    t.match(res.json(), { message: /only in JSON: send 'accept: application\/json'/, restate_code: null })
  }
})

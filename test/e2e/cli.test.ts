import t from 'tap'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fetchJson, runCli, startCli } from '../helpers/cli.js'
import { assertInvocationsIn } from '../helpers/schema.js'

t.test('starts with the built-in fixture, answers, and exits 0 on SIGTERM', async t => {
  const cli = await startCli(['--seed', '42'])
  t.teardown(() => cli.stop('SIGKILL'))
  t.match(cli.stdout(), /seed\s+42/)
  t.equal((await fetch(`${cli.adminUrl}/health`)).status, 200)
  const health = await fetchJson(`${cli.ingressUrl}/restate/health`)
  t.ok(health.services.includes('OrderWorkflow'))
  const res = await fetch(`${cli.ingressUrl}/Greeter/greet`, { method: 'POST', body: '"docker"' })
  t.equal(await res.json(), 'Hello, docker!')
  const list = await (await fetch(`${cli.adminUrl}/invocations`)).json()
  t.equal(assertInvocationsIn(list), 1)
  t.equal(await cli.stop('SIGTERM'), 0)
})

t.test('SIGINT answers a request still in flight before exiting', async t => {
  const cli = await startCli()
  t.teardown(() => cli.stop('SIGKILL'))
  // Reports/generate takes 3-6 s; shutdown answers it (503) rather than dropping the socket.
  const inFlight = fetch(`${cli.ingressUrl}/Reports/generate`, { method: 'POST' })
  const created = await waitForList(cli.adminUrl)
  t.equal(created, 1)
  const code = cli.stop('SIGINT')
  const res = await inFlight
  t.equal(res.status, 503)
  t.equal(await code, 0)
})

t.test('configuration errors exit 2 naming the field', async t => {
  const dir = t.testdir({ 'bad.json': JSON.stringify({ services: [{ name: 'X', handlers: { h: { transient: { probability: 2 } } } }] }) })
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--ingress-port', 'abc'], {}, /--ingress-port/],
    [[], { RESTATE_EMULATOR_ADMIN_PORT: 'nine' }, /RESTATE_EMULATOR_ADMIN_PORT/],
    [['--clock', 'sundial'], {}, /--clock/],
    [['--fixture', join(dir, 'bad.json')], {}, /fixture\/services\/0\/handlers\/h\/transient\/probability/],
    [['--what'], {}, /--what/]
  ]
  for (const [args, env, message] of cases) {
    const { code, stderr } = await runCli(args, env)
    t.equal(code, 2, args.join(' ') || JSON.stringify(env))
    t.match(stderr, message)
    t.notMatch(stderr, /\n\s+at /, 'no stack trace')
  }
})

t.test('--help and --version', async t => {
  const help = await runCli(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /--ingress-port/)
  t.match(help.stdout, /RESTATE_EMULATOR_/)
  const version = await runCli(['--version'])
  t.match(version.stdout, /^\d+\.\d+\.\d+/)
})

t.test('snapshot: saved on shutdown, loaded at start; a corrupt one stops start-up and is kept', async t => {
  const dir = t.testdir({ 'corrupt.json': '{"format": "restate-emulator-snapshot", "vers' })
  const file = join(dir, 'state.json')
  const first = await startCli(['--snapshot', file, '--seed', '1'])
  t.teardown(() => first.stop('SIGKILL'))
  const { invocationId } = await fetchJson(`${first.ingressUrl}/Greeter/greet/send`, { method: 'POST', body: '"x"' })
  t.equal(await first.stop('SIGTERM'), 0)
  t.ok(existsSync(file))
  const saved = JSON.parse(readFileSync(file, 'utf8'))
  t.equal(saved.format, 'restate-emulator-snapshot')
  t.equal(assertInvocationsIn(saved.invocations.map((e: { invocation: unknown }) => e.invocation)), 1)

  const second = await startCli(['--snapshot', file])
  t.teardown(() => second.stop('SIGKILL'))
  const record = await fetchJson(`${second.adminUrl}/invocations/${invocationId}`)
  t.equal(record.id, invocationId)
  t.equal(await second.stop('SIGTERM'), 0)

  const corrupt = join(dir, 'corrupt.json')
  const before = readFileSync(corrupt, 'utf8')
  const bad = await runCli(['--snapshot', corrupt, '--ingress-port', '0', '--admin-port', '0'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--snapshot: .*corrupt\.json is not a readable JSON snapshot/)
  t.equal(readFileSync(corrupt, 'utf8'), before, 'the corrupt file is left as it was')

  writeFileSync(join(dir, 'wrong.json'), JSON.stringify({ format: 'restate-emulator-snapshot', version: 1, taken_at: 'x' }))
  const wrong = await runCli(['--snapshot', join(dir, 'wrong.json'), '--ingress-port', '0', '--admin-port', '0'])
  t.equal(wrong.code, 2)
  t.match(wrong.stderr, /is not a valid snapshot: snapshot\//)
})

/** Resolves with the number of invocations once there is at least one (the list is polled on real ports). */
async function waitForList (adminUrl: string): Promise<number> {
  for (;;) {
    const body = await fetchJson(`${adminUrl}/invocations`)
    if (body.invocations.length > 0) return body.invocations.length
  }
}

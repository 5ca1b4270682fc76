// The npm package as a user gets it: packed, installed with production dependencies only into
// an empty project, its bin started and its library imported there. Needs the npm registry (or
// a warm npm cache) and a built dist/ (`npm test` builds first).
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string, version: string, bin: Record<string, string> }

// npm install of the production dependencies is the slow part (network on a cold cache).
t.setTimeout(240_000)

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

const children = new Set<ChildProcess>()

/** The environment without the parent npm's own variables, which would steer a nested npm. */
function cleanEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v
  return { ...env, ...extra }
}

async function run (command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(child, 'close') as [number | null]
  children.delete(child)
  return { code, stdout, stderr }
}

const work = mkdtempSync(join(tmpdir(), 'restate-emulator-package-'))
t.teardown(() => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
})

const app = join(work, 'app')
let tarball = ''
let packed: string[] = []

t.before(async () => {
  // --ignore-scripts: `prepack` would rebuild dist/ while other test files run from it.
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT)
  if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`)
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string, files: Array<{ path: string }> }>
  tarball = join(work, info.filename)
  packed = info.files.map(f => f.path)

  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  const install = await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], app)
  if (install.code !== 0) throw new Error(`npm install of the tarball failed: ${install.stderr}`)
})

t.test('the tarball holds the build, the fixtures and no sources or tests', async t => {
  t.match(tarball, new RegExp(`${pkg.name}-${pkg.version}\\.tgz$`))
  for (const file of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'fixtures/default.json']) {
    t.ok(packed.includes(file), `has ${file}`)
  }
  t.same(packed.filter(f => /^(src|test|examples|bench|scripts|node_modules|\.tap)\//.test(f)), [], 'no sources, tests or local state')
  t.same(packed.filter(f => /(^|\/)\.env|Dockerfile|tsconfig/.test(f)), [], 'no env files, Dockerfile or tsconfig')
})

t.test('installs with production dependencies only', async t => {
  const installed = join(app, 'node_modules')
  t.ok(existsSync(join(installed, pkg.name, 'dist', 'cli.js')))
  for (const dep of ['fastify', 'pino', '@sinclair/typebox']) t.ok(existsSync(join(installed, dep)), `has ${dep}`)
  for (const dev of ['typescript', 'tap', 'eslint', '@restatedev/restate-sdk']) t.notOk(existsSync(join(installed, dev)), `no ${dev}`)
})

t.test('the bin starts on random ports, is healthy, and stops on SIGTERM', async t => {
  const bin = join(app, 'node_modules', '.bin', Object.keys(pkg.bin)[0])
  const child = spawn(bin, ['--ingress-port', '0', '--admin-port', '0', '--log-level', 'warn', '--seed', '5'], {
    cwd: app,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.add(child)
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const exited = once(child, 'exit')
  let out = ''
  let err = ''
  child.stderr.on('data', chunk => { err += String(chunk) })
  const urls = await new Promise<{ ingress: string, admin: string }>((resolve, reject) => {
    child.stdout.on('data', chunk => {
      out += String(chunk)
      const ingress = /ingress\s+(http:\/\/\S+)/.exec(out)?.[1]
      const admin = /admin\s+(http:\/\/\S+)/.exec(out)?.[1]
      if (ingress !== undefined && admin !== undefined) resolve({ ingress, admin })
    })
    child.once('exit', code => reject(new Error(`the bin exited with ${code} before listening: ${err}`)))
  })
  t.match(out, new RegExp(`restate-emulator ${pkg.version.replace(/\./g, '\\.')}`), 'prints its version')
  t.match(out, /seed\s+5/)
  t.equal((await fetch(`${urls.admin}/health`)).status, 200, 'admin /health')
  const health = await fetch(`${urls.ingress}/restate/health`)
  t.equal(health.status, 200, 'ingress /restate/health')
  const greeting = await fetch(`${urls.ingress}/Greeter/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"npm"' })
  t.equal(await greeting.json(), 'Hello, npm!', 'the built-in fixture ships in the package')
  child.kill('SIGTERM')
  const [code] = await exited
  children.delete(child)
  t.equal(code, 0)
})

t.test('the library imports by its name and runs a call on a manual clock', async t => {
  writeFileSync(join(app, 'check.mjs'), `
import { startEmulator } from 'restate-emulator'
const emu = await startEmulator({ clock: 'manual', seed: 1 })
const res = await fetch(emu.ingressUrl + '/Greeter/greet/send', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"Ada"' })
const { invocationId } = await res.json()
const done = await emu.waitFor(invocationId, 'completed')
const output = await (await fetch(emu.ingressUrl + '/restate/invocation/' + invocationId + '/output')).json()
await emu.close()
console.log(JSON.stringify({ status: done.status, output, at: new Date(emu.clock.now()).toISOString() }))
`)
  const result = await run(process.execPath, ['check.mjs'], app)
  t.equal(result.code, 0, result.stderr)
  const report = JSON.parse(result.stdout) as { status: string, output: string, at: string }
  t.equal(report.status, 'completed')
  t.equal(report.output, 'Hello, Ada!')
  t.match(report.at, /^2026-01-01T00:00:00\.\d{3}Z$/, 'emulated time, not the wall clock')
})

t.test('the shipped types compile in a strict NodeNext consumer', async t => {
  writeFileSync(join(app, 'check.mts'), `
import { startEmulator, createEmulator, type Emulator, type EmulatorInstance, type Invocation, type Status } from 'restate-emulator'
const emu: Emulator = await startEmulator({ clock: 'manual', seed: 1, ingressPort: 0 })
const url: string = emu.ingressUrl
const status: Status = 'completed'
const record: Invocation = await emu.waitFor('inv_x', status)
const inst: EmulatorInstance = await createEmulator()
const res = await inst.injectIngress({ method: 'GET', url: '/restate/health' })
export const used = [url, record.id, res.statusCode]
// @ts-expect-error an unknown option is a type error
await startEmulator({ clok: 'manual' })
`)
  // skipLibCheck, as most projects set it, keeps this fast; the scan below covers what it skips
  // that matters to a consumer: a declaration importing a package the consumer does not have.
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [
    tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'check.mts'
  ], app)
  t.equal(result.code, 0, result.stdout + result.stderr)

  const dependencies = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)
  const foreign: string[] = []
  for (const file of packed.filter(f => f.endsWith('.d.ts'))) {
    const text = readFileSync(join(app, 'node_modules', pkg.name, file), 'utf8')
    for (const [, specifier] of text.matchAll(/(?:from\s+|import\()['"]([^'"]+)['"]/g)) {
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]
      if (!specifier.startsWith('.') && !specifier.startsWith('node:') && !builtinModules.includes(name) && !dependencies.includes(name)) foreign.push(`${file}: ${specifier}`)
    }
  }
  t.same(foreign, [], 'declarations import only the package itself, Node built-ins and production dependencies')
})

t.test('a bad flag or variable exits 2 and names it', async t => {
  const bin = join(app, 'node_modules', '.bin', Object.keys(pkg.bin)[0])
  const flag = await run(bin, ['--no-such-flag'], app)
  t.equal(flag.code, 2)
  t.match(flag.stderr, /--no-such-flag/)
  const env = await run(bin, [], app, { RESTATE_EMULATOR_ADMIN_PORT: 'nine' })
  t.equal(env.code, 2)
  t.match(env.stderr, /RESTATE_EMULATOR_ADMIN_PORT/)
  t.equal(env.stdout, '', 'nothing printed as if it had started')
})

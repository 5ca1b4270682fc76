// The Dockerfile, .dockerignore and examples/docker-compose.yml, checked without a Docker engine:
// every file they name exists where they expect it, their configuration is valid for the
// emulator, and their commands (the HEALTHCHECK, the compose app) work against a running one.
// Run after `npm run build` (`npm test` builds first).
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, posix, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { resolveOptions } from '../src/config.js'
import { listen, startEmulator } from '../src/index.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>
  files: string[]
}

interface Instruction {
  keyword: string
  /** Text after the keyword, continuation lines joined. */
  args: string
  line: number
}

interface Stage {
  name: string
  image: string
  instructions: Instruction[]
}

/** Instructions of a Dockerfile: comments and parser directives dropped, `\` continuations joined. */
function parseDockerfile (text: string): Instruction[] {
  const instructions: Instruction[] = []
  let pending: { text: string, line: number } | undefined
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (pending === undefined && (line === '' || line.startsWith('#'))) return
    if (pending !== undefined && line.startsWith('#')) return
    const part = line.endsWith('\\') ? line.slice(0, -1).trim() : line
    pending = pending === undefined ? { text: part, line: index + 1 } : { text: `${pending.text} ${part}`, line: pending.line }
    if (!line.endsWith('\\')) {
      const [keyword, ...rest] = pending.text.split(/\s+/)
      instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending.line })
      pending = undefined
    }
  })
  return instructions
}

/** Splits leading `--flag=value` options off an instruction's arguments. */
function flagsOf (args: string): { flags: Record<string, string>, rest: string } {
  const flags: Record<string, string> = {}
  let rest = args
  for (let m = /^--([\w-]+)=(\S+)\s*/.exec(rest); m !== null; m = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
    flags[m[1]] = m[2]
    rest = rest.slice(m[0].length)
  }
  return { flags, rest }
}

function execForm (args: string): string[] {
  const parsed = JSON.parse(args) as unknown
  if (!Array.isArray(parsed) || !parsed.every(a => typeof a === 'string')) throw new Error(`not an exec form: ${args}`)
  return parsed
}

function stagesOf (instructions: Instruction[]): { args: Record<string, string>, stages: Stage[] } {
  const args: Record<string, string> = {}
  const stages: Stage[] = []
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, name] = ins.args.split(/\s+/)
      const resolved = image.replace(/\$\{(\w+)\}/g, (_, v: string) => args[v] ?? '')
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : String(stages.length), image: resolved, instructions: [] })
    } else if (stages.length === 0 && ins.keyword === 'ARG') {
      const [k, v] = ins.args.split('=')
      args[k] = v ?? ''
    } else {
      stages.at(-1)?.instructions.push(ins)
    }
  }
  return { args, stages }
}

/** `KEY=value` pairs of an ENV instruction (the form used here; values without spaces). */
function envOf (stage: Stage): Record<string, string> {
  const env: Record<string, string> = {}
  for (const ins of stage.instructions.filter(i => i.keyword === 'ENV')) {
    for (const pair of ins.args.split(/\s+/)) {
      const eq = pair.indexOf('=')
      env[pair.slice(0, eq)] = pair.slice(eq + 1)
    }
  }
  return env
}

/**
 * Docker's .dockerignore rules: patterns in order, the last match wins, `!` re-includes, and a
 * pattern that matches a directory matches everything inside it.
 */
function dockerIgnore (text: string): (path: string) => boolean {
  const rules = text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#')).map(line => {
    const negated = line.startsWith('!')
    const pattern = posix.normalize((negated ? line.slice(1) : line).trim()).replace(/^\/+/, '')
    const source = pattern.split(/(\*\*|\*|\?)/).map(part =>
      part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')
    ).join('')
    return { negated, regex: new RegExp(`^${source}$`) }
  })
  return path => {
    const parts = posix.normalize(path).split('/')
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'))
    let ignored = false
    for (const rule of rules) {
      if (prefixes.some(p => rule.regex.test(p))) ignored = !rule.negated
    }
    return ignored
  }
}

function filesUnder (path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path, { recursive: true, encoding: 'utf8' }).map(p => join(path, p)).filter(p => statSync(p).isFile())
}

async function run (command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(child, 'close') as [number | null]
  return { code, stdout, stderr }
}

const dockerfile = stagesOf(parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')))
const ignored = dockerIgnore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'))
const build = dockerfile.stages.find(s => s.name === 'build') as Stage
const runtime = dockerfile.stages.at(-1) as Stage
const instructionsOf = (stage: Stage, keyword: string): Instruction[] => stage.instructions.filter(i => i.keyword === keyword)
const workdir = (stage: Stage): string => instructionsOf(stage, 'WORKDIR').at(-1)?.args ?? '/'
const cliDefaults = resolveOptions({ argv: [], env: {}, defaults: 'cli' })

/** The HEALTHCHECK's exec-form command, exactly as Docker would run it. */
const healthcheck = (() => {
  const [ins] = instructionsOf(runtime, 'HEALTHCHECK')
  const { flags, rest } = flagsOf(ins.args)
  if (!rest.startsWith('CMD ')) throw new Error('HEALTHCHECK must use CMD')
  return { flags, command: execForm(rest.slice(4)) }
})()

async function runHealthcheck (env: Record<string, string>): Promise<number | null> {
  const [program, ...args] = healthcheck.command
  // `node` in the image; this very node here.
  return (await run(program === 'node' ? process.execPath : program, args, env)).code
}

t.test('a multi-stage build on a current Node LTS slim image', async t => {
  t.same(dockerfile.stages.map(s => s.name), ['build', 'runtime'])
  for (const stage of dockerfile.stages) {
    const m = /^node:(\d+)-slim$/.exec(stage.image)
    t.ok(m, `${stage.name} is FROM node:<major>-slim (${stage.image})`)
    const major = Number(m?.[1])
    t.ok(major >= 22 && major % 2 === 0, `Node ${major} is an LTS line`)
  }
  t.ok(Number(dockerfile.args.NODE_VERSION) >= 22, 'NODE_VERSION defaults to a current LTS')
  const buildRuns = instructionsOf(build, 'RUN').map(i => i.args)
  t.ok(buildRuns.some(r => /^npm ci\b/.test(r)), 'build stage: npm ci')
  t.ok(buildRuns.some(r => /^npm run build\b/.test(r)), 'build stage: npm run build')
  const runtimeRuns = instructionsOf(runtime, 'RUN').map(i => i.args)
  t.ok(runtimeRuns.some(r => /^npm ci\b.*--omit=dev/.test(r)), 'runtime stage: production dependencies only')
  t.notOk(runtimeRuns.some(r => /npm (run )?build|npm (ci|install)(?!.*--omit=dev)/.test(r)), 'runtime stage installs nothing else')
})

t.test('every COPY from the context exists and is not left out by .dockerignore', async t => {
  let checked = 0
  for (const stage of dockerfile.stages) {
    for (const ins of instructionsOf(stage, 'COPY')) {
      const { flags, rest } = flagsOf(ins.args)
      if (flags.from !== undefined) continue
      const sources = rest.split(/\s+/).slice(0, -1)
      for (const source of sources) {
        const path = join(ROOT, source)
        t.ok(existsSync(path), `${stage.name}: ${source} exists (line ${ins.line})`)
        const leftOut = existsSync(path) ? filesUnder(path).map(f => relative(ROOT, f)).filter(ignored) : []
        t.same(leftOut, [], `${stage.name}: nothing of ${source} is dockerignored`)
        checked++
      }
    }
  }
  t.ok(checked >= 5, `${checked} sources checked`)
})

t.test('.dockerignore keeps local state out of the context', async t => {
  for (const path of ['node_modules/fastify/package.json', 'dist/cli.js', '.git/HEAD', '.env', 'test/library.test.ts', 'snapshot.json', '.tap/processinfo/x.json', 'Dockerfile']) {
    t.ok(ignored(path), `${path} is left out`)
  }
  for (const path of ['package.json', 'src/cli.ts', 'src/core/engine.ts', 'fixtures/default.json']) {
    t.notOk(ignored(path), `${path} is sent`)
  }
})

t.test('COPY --from=build takes what the build stage produces', async t => {
  const buildDir = workdir(build)
  const outDir = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir
  const fromBuild = instructionsOf(runtime, 'COPY').map(i => flagsOf(i.args)).filter(c => c.flags.from === 'build')
  t.ok(fromBuild.length > 0)
  for (const { rest } of fromBuild) {
    const [source] = rest.split(/\s+/)
    const inBuild = posix.relative(buildDir, source)
    t.equal(inBuild, posix.normalize(outDir), `${source} is the build output (tsconfig.build.json outDir)`)
    // The build output exists for every source file (npm test builds first).
    const missing = filesUnder(join(ROOT, 'src')).filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map(f => relative(join(ROOT, 'src'), f).replace(/\.ts$/, '.js'))
      .filter(js => !existsSync(join(ROOT, inBuild, js)))
    t.same(missing, [], `every src/*.ts has its ${inBuild}/*.js`)
  }
})

t.test('the image holds what the npm package holds', async t => {
  const copied = instructionsOf(runtime, 'COPY').map(i => flagsOf(i.args).rest.split(/\s+/).at(-1) as string)
    .map(dest => posix.relative(workdir(runtime), posix.resolve(workdir(runtime), dest)))
  const copiedSources = instructionsOf(runtime, 'COPY').flatMap(i => flagsOf(i.args).rest.split(/\s+/).slice(0, -1))
  t.ok(copiedSources.includes('package.json'), 'package.json (the version and "type": "module")')
  for (const entry of pkg.files.filter(f => !f.endsWith('.md'))) {
    t.ok(copied.includes(entry), `"files" entry ${entry} is copied to the runtime stage`)
  }
  const pack = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'])
  t.equal(pack.code, 0, pack.stderr)
  const packed = (JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map(f => f.path)
  const notInImage = packed.filter(p => !/^(README|LICENSE|CHANGELOG)/i.test(p) && p !== 'package.json' && !copied.some(c => p.startsWith(`${c}/`)))
  t.same(notInImage, [], 'every file of the package is in the image')
})

t.test('runs the package bin as the non-root user node', async t => {
  const [entry] = [...instructionsOf(runtime, 'ENTRYPOINT'), ...instructionsOf(runtime, 'CMD')]
  const command = execForm(entry.args)
  t.equal(command[0], 'node')
  t.equal(posix.normalize(command[1]), posix.normalize(Object.values(pkg.bin)[0]), 'the same file as package.json "bin"')
  t.ok(existsSync(join(ROOT, command[1])), `${command[1]} exists in the build output`)
  const version = await run(process.execPath, [command[1], '--version'])
  t.equal(version.code, 0)
  t.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version)
  t.equal(instructionsOf(runtime, 'USER').at(-1)?.args, 'node')
})

t.test('EXPOSE matches the CLI default ports', async t => {
  const exposed = instructionsOf(runtime, 'EXPOSE').flatMap(i => i.args.split(/\s+/)).map(p => Number(p.replace(/\/tcp$/, ''))).sort()
  t.same(exposed, [cliDefaults.ingressPort, cliDefaults.adminPort].sort())
  t.same([cliDefaults.ingressPort, cliDefaults.adminPort], [8080, 9070], "Restate's own ports")
})

t.test('ENV is valid emulator configuration and binds all interfaces', async t => {
  const env = envOf(runtime)
  t.equal(env.RESTATE_EMULATOR_HOST, '0.0.0.0')
  const options = resolveOptions({ argv: [], env, defaults: 'cli' })
  t.equal(options.host, '0.0.0.0')
  t.equal(options.ingressPort, 8080)
})

t.test('the HEALTHCHECK command passes against a running emulator and fails without one', async t => {
  t.equal(healthcheck.command[0], 'node', 'no curl needed')
  const seconds = (v: string | undefined): number => v === undefined ? NaN : v.endsWith('ms') ? Number(v.slice(0, -2)) / 1000 : Number(v.replace(/s$/, ''))
  const abortAfter = Number(/AbortSignal\.timeout\((\d+)\)/.exec(healthcheck.command.join(' '))?.[1]) / 1000
  t.ok(abortAfter < seconds(healthcheck.flags.timeout), 'the fetch gives up before Docker kills the check')
  t.ok(seconds(healthcheck.flags['start-interval']) <= 1, 'checked often while starting, so compose waits little')
  t.match(healthcheck.command.join(' '), `process.env.RESTATE_EMULATOR_ADMIN_PORT||${cliDefaults.adminPort})+'/health'`,
    'the admin port the emulator listens on: the variable when set, else the CLI default')

  const emu = await startEmulator({ adminToken: 'secret' })
  t.teardown(() => emu.close())
  const port = new URL(emu.adminUrl).port
  t.equal(await runHealthcheck({ RESTATE_EMULATOR_ADMIN_PORT: port }), 0, 'healthy (an admin token does not guard /health)')
  await emu.close()
  t.equal(await runHealthcheck({ RESTATE_EMULATOR_ADMIN_PORT: port }), 1, 'unhealthy once it is gone')
})

interface ComposeService {
  build?: { context: string, dockerfile?: string }
  image?: string
  ports?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  working_dir?: string
  command?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: unknown
}

const COMPOSE_DIR = join(ROOT, 'examples')
const compose = parseYaml(readFileSync(join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> }

/** Host path of a path inside a service's container, through its bind mounts. */
function hostPath (service: ComposeService, inContainer: string): string | undefined {
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':')
    if (!source.startsWith('.') && !source.startsWith('/')) continue
    if (inContainer === target || inContainer.startsWith(`${target}/`)) return join(COMPOSE_DIR, source, inContainer.slice(target.length))
  }
  return undefined
}

t.test('the compose file references files that exist', async t => {
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.build !== undefined) {
      const context = join(COMPOSE_DIR, service.build.context)
      t.ok(existsSync(join(context, service.build.dockerfile ?? 'Dockerfile')), `${name}: the Dockerfile is in its build context`)
      t.equal(resolve(context), resolve(ROOT), `${name}: builds this repository`)
    }
    for (const volume of service.volumes ?? []) {
      const [source] = volume.split(':')
      t.ok(existsSync(join(COMPOSE_DIR, source)), `${name}: mounted ${source} exists`)
    }
  }
})

t.test('the app waits for the emulator to be healthy', async t => {
  const waits = Object.entries(compose.services).flatMap(([name, s]) =>
    Object.entries(s.depends_on ?? {}).map(([on, { condition }]) => ({ name, on, condition })))
  t.ok(waits.length > 0)
  for (const { name, on, condition } of waits) {
    t.equal(condition, 'service_healthy', `${name} waits for ${on} to be healthy`)
    const target = compose.services[on]
    t.ok(target.healthcheck !== undefined || target.build !== undefined, `${on} has a health check (the image's HEALTHCHECK)`)
  }
})

t.test('the compose configuration of the emulator is valid, and its app passes against it', async t => {
  const [name, emulator] = Object.entries(compose.services).find(([, s]) => s.build !== undefined) as [string, ComposeService]
  const exposed = instructionsOf(runtime, 'EXPOSE').flatMap(i => i.args.split(/\s+/))
  for (const mapping of emulator.ports ?? []) t.ok(exposed.includes(mapping.split(':').at(-1) as string), `${name}: publishes an exposed port (${mapping})`)

  // The image's ENV, then compose's, with paths in the container mapped to the host.
  const env: Record<string, string> = { ...envOf(runtime), ...emulator.environment }
  const fixture = env.RESTATE_EMULATOR_FIXTURE
  t.ok(fixture?.startsWith('/fixtures/'), 'the fixture is read from /fixtures')
  const fixtureOnHost = hostPath(emulator, fixture)
  t.ok(fixtureOnHost !== undefined && existsSync(fixtureOnHost), `${fixture} is mounted from the host`)
  const options = resolveOptions({
    argv: ['--ingress-port', '0', '--admin-port', '0', '--host', '127.0.0.1', '--log-level', 'silent'],
    env: { ...env, RESTATE_EMULATOR_FIXTURE: fixtureOnHost as string },
    defaults: 'cli'
  })
  const running = await listen(options)
  t.teardown(() => running.close())

  const app = Object.values(compose.services).find(s => s.depends_on?.[name] !== undefined) as ComposeService
  const [program, script] = app.command ?? []
  t.equal(program, 'node')
  const scriptOnHost = hostPath(app, posix.join(app.working_dir ?? '/', script))
  t.ok(scriptOnHost !== undefined && existsSync(scriptOnHost), `the app's ${script} is mounted from the host`)
  // The app's URLs, with the compose service name swapped for where the emulator listens here.
  const appEnv = Object.fromEntries(Object.entries(app.environment ?? {}).map(([k, v]) => [k,
    v.replace(`http://${name}:${cliDefaults.ingressPort}`, running.ingressUrl).replace(`http://${name}:${cliDefaults.adminPort}`, running.adminUrl)]))
  t.not(JSON.stringify(appEnv), JSON.stringify(app.environment), 'the app is configured with the emulator\'s address')
  const result = await run(process.execPath, [scriptOnHost as string], appEnv)
  t.equal(result.code, 0, result.stdout + result.stderr)
  t.match(result.stdout, /^ok - /m)
  t.notMatch(result.stdout + result.stderr, /failed/)
})

// Installs (on demand) and runs the pinned real Restate server for the conformance suite.
//
// The npm package @restatedev/restate-server is a thin launcher; the binary itself ships in a
// per-platform optional dependency (@restatedev/restate-server-linux-x64, …-darwin-arm64, …) at
// bin/restate-server. It is over 200 MB, so it is never a project dependency: it is installed
// into the git-ignored folder .cache/restate-server and reused from there.
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const RESTATE_SERVER_VERSION = '1.7.12'

const execFileAsync = promisify(execFile)
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const cacheDir = join(repoRoot, '.cache', 'restate-server')

function binaryPathIn (dir: string): string {
  return join(dir, 'node_modules', '@restatedev', `restate-server-${platform()}-${arch()}`, 'bin', 'restate-server')
}

function installedVersion (dir: string): string | undefined {
  const pkg = join(dir, 'node_modules', '@restatedev', `restate-server-${platform()}-${arch()}`, 'package.json')
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version
  } catch {
    return undefined
  }
}

/**
 * Returns the path of the restate-server binary, installing the pinned npm package into
 * .cache/restate-server first if it is not there yet. Throws (loudly) when it cannot.
 */
export async function ensureRestateServer (): Promise<string> {
  if (installedVersion(cacheDir) === RESTATE_SERVER_VERSION && existsSync(binaryPathIn(cacheDir))) {
    return binaryPathIn(cacheDir)
  }
  // Install into a fresh folder, then move it into place: two test processes installing at the
  // same time cannot leave a half-installed cache behind.
  mkdirSync(dirname(cacheDir), { recursive: true })
  const staging = mkdtempSync(join(dirname(cacheDir), 'restate-server.install-'))
  try {
    // --ignore-scripts: the package's only install script is a telemetry ping (@scarf/scarf).
    await execFileAsync('npm', [
      'install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts',
      `@restatedev/restate-server@${RESTATE_SERVER_VERSION}`
    ], { maxBuffer: 16 * 1024 * 1024, timeout: 9 * 60_000 })
    if (!existsSync(binaryPathIn(staging))) {
      throw new Error(`npm installed @restatedev/restate-server@${RESTATE_SERVER_VERSION} but ${binaryPathIn(staging)} is missing ` +
        `(no prebuilt binary for ${platform()}-${arch()}?)`)
    }
    rmSync(cacheDir, { recursive: true, force: true })
    try {
      renameSync(staging, cacheDir)
    } catch (err) {
      // Someone else won the race: use theirs if it is complete.
      if (installedVersion(cacheDir) !== RESTATE_SERVER_VERSION) throw err
    }
  } catch (err) {
    throw new Error(`cannot install @restatedev/restate-server@${RESTATE_SERVER_VERSION} into ${cacheDir}: ${(err as Error).message}`)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
  return binaryPathIn(cacheDir)
}

/** A free TCP port on 127.0.0.1 (asks the OS for one, then releases it). */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export interface RealServerOptions {
  /** worker.invoker.inactivity-timeout: how long an idle invocation waits before it suspends. */
  inactivityTimeout?: string
  /** Extra TOML appended to the generated config file. */
  extraToml?: string
}

export interface RealServer {
  ingressUrl: string
  adminUrl: string
  pid: number
  dataDir: string
  logFile: string
  /** The last lines of the server's log (for failure messages). */
  logTail: (lines?: number) => string
  stop: () => Promise<void>
}

const FATAL_SIGNALS: NodeJS.Signals[] = ['SIGALRM', 'SIGTERM', 'SIGINT', 'SIGHUP']

async function sleepMs (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

async function isUp (url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
    await res.arrayBuffer()
    return res.status === 200
  } catch {
    return false
  }
}

/** Starts restate-server on free loopback ports with a temporary data folder. */
export async function startRealServer (opts: RealServerOptions = {}): Promise<RealServer> {
  const bin = await ensureRestateServer()
  const dataDir = mkdtempSync(join(tmpdir(), 'restate-conformance-'))
  const [ingressPort, adminPort, fabricPort] = await distinctFreePorts(3)
  const config = [
    'listen-mode = "tcp"',
    `bind-address = "127.0.0.1:${fabricPort}"`,
    `advertised-address = "http://127.0.0.1:${fabricPort}/"`,
    'node-name = "conformance"',
    'default-num-partitions = 4',
    'disable-telemetry = true',
    'log-filter = "warn,restate=info"',
    'log-format = "compact"',
    'log-disable-ansi-codes = true',
    'rocksdb-total-memory-size = "512 MiB"',
    '',
    '[worker.invoker]',
    `inactivity-timeout = "${opts.inactivityTimeout ?? '1s'}"`,
    '',
    '[admin]',
    `bind-address = "127.0.0.1:${adminPort}"`,
    '',
    '[ingress]',
    `bind-address = "127.0.0.1:${ingressPort}"`,
    '',
    opts.extraToml ?? ''
  ].join('\n')
  const configFile = join(dataDir, 'restate.toml')
  writeFileSync(configFile, config)
  const logFile = join(dataDir, 'server.log')
  const logFd = openSync(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(bin, ['--config-file', configFile, '--base-dir', join(dataDir, 'data'), '--no-logo'], {
      stdio: ['ignore', logFd, logFd],
      // DO_NOT_TRACK: ask the server not to phone home (it still looks for a newer release, and
      // that lookup fails without network; harmless).
      env: { ...process.env, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0' }
    })
  } finally {
    closeSync(logFd)
  }
  const logTail = (lines = 40): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n')
    } catch {
      return '(no log)'
    }
  }
  let exited: { code: number | null, signal: NodeJS.Signals | null } | undefined
  const exitPromise = new Promise<void>(resolve => {
    child.once('exit', (code, signal) => { exited = { code, signal }; resolve() })
  })
  let spawnError: Error | undefined
  child.once('error', err => { spawnError = err })
  // Never leave the server behind: not on a normal exit, and not when the test process is told
  // to stop (tap's timeout sends SIGALRM). A signal handler kills the server, then lets the
  // signal take its usual course.
  const killOnExit = (): void => { try { child.kill('SIGKILL') } catch {} }
  process.once('exit', killOnExit)
  const onSignal = (sig: NodeJS.Signals): void => {
    killOnExit()
    try { rmSync(dataDir, { recursive: true, force: true }) } catch {}
    for (const s of FATAL_SIGNALS) process.removeListener(s, onSignal)
    process.kill(process.pid, sig)
  }
  for (const s of FATAL_SIGNALS) process.once(s, onSignal)

  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    process.removeListener('exit', killOnExit)
    for (const s of FATAL_SIGNALS) process.removeListener(s, onSignal)
    if (exited === undefined && spawnError === undefined) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => { if (exited === undefined) child.kill('SIGKILL') }, 5000)
      await exitPromise
      clearTimeout(timer)
    }
    rmSync(dataDir, { recursive: true, force: true })
  }

  const ingressUrl = `http://127.0.0.1:${ingressPort}`
  const adminUrl = `http://127.0.0.1:${adminPort}`
  const deadline = Date.now() + 60_000
  while (true) {
    if (spawnError !== undefined || exited !== undefined) {
      const why = spawnError?.message ?? `exited with ${JSON.stringify(exited)}`
      const tail = logTail()
      await stop()
      throw new Error(`restate-server ${RESTATE_SERVER_VERSION} failed to start (${why}). Log:\n${tail}`)
    }
    if (await isUp(`${adminUrl}/health`) && await isUp(`${ingressUrl}/restate/health`)) break
    if (Date.now() > deadline) {
      const tail = logTail()
      await stop()
      throw new Error(`restate-server ${RESTATE_SERVER_VERSION} not healthy after 60 s. Log:\n${tail}`)
    }
    await sleepMs(50)
  }
  return { ingressUrl, adminUrl, pid: child.pid ?? -1, dataDir, logFile, logTail, stop }
}

async function distinctFreePorts (n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

/** Registers a deployment (the SDK service's URI) with the real server's admin API. */
export async function registerDeployment (adminUrl: string, uri: string): Promise<{ status: number, body: unknown }> {
  const res = await fetch(`${adminUrl}/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uri, force: true })
  })
  const text = await res.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch {}
  if (res.status >= 300) throw new Error(`POST ${adminUrl}/deployments ${uri} → ${res.status} ${text}`)
  return { status: res.status, body }
}

import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Fixture } from './core/behavior.js'
import { parseDuration } from './core/duration.js'
import { DEFAULT_MAX_INVOCATIONS, DEFAULT_RETENTION_MS } from './core/engine.js'
import { EmulatorError } from './core/errors.js'
import { Random } from './core/random.js'
import { DEFAULT_FIXTURE_PATH, loadFixtureFile, validateFixture } from './fixture.js'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** Options of `startEmulator()`, the CLI flags and the `RESTATE_EMULATOR_*` variables, by one name each. */
export interface EmulatorOptions {
  /** Ingress port; 0 picks a free one. CLI default 8080, library default 0. */
  ingressPort?: number
  /** Admin port; 0 picks a free one. CLI default 9070, library default 0. */
  adminPort?: number
  /** Interface to bind (default 127.0.0.1; the Docker image sets 0.0.0.0). */
  host?: string
  /** A fixture object or the path of a fixture file (default: the built-in e-commerce fixture). */
  fixture?: Fixture | string
  /** Seed of the one random generator (default: drawn at start and logged). */
  seed?: number
  /** `real` (default) or `manual`: time moves only when told. */
  clock?: 'real' | 'manual'
  /** Real clock speed factor: 10 runs ten emulated seconds per real second. */
  speed?: number
  /** Where a manual clock starts (RFC 3339 or epoch ms; default 2026-01-01T00:00:00.000Z). */
  startTime?: string | number
  /** Demo traffic: arrivals per emulated second, or true for the fixture's rate (5/s if none). */
  traffic?: number | boolean
  /** Snapshot file: loaded at start, written on shutdown and every `snapshotInterval`. */
  snapshot?: string
  /** How often the snapshot file is written (default 30s, real time; 0 = only on shutdown). */
  snapshotInterval?: string | number
  /** How long completed invocations are kept (default 1d, as Restate). */
  retention?: string | number
  /** Cap on invocations kept; the oldest completed are dropped first (default 100000). */
  maxInvocations?: number
  /** When set, the control API and admin mutations need `Authorization: Bearer <token>`. */
  adminToken?: string
  /** Allowed CORS origins: `*` (default), a comma-separated list, or an empty string for none. */
  corsOrigins?: string | string[]
  /** Log level (CLI default info, library default silent). */
  logLevel?: LogLevel
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number
  /** Events kept for `Last-Event-ID` resume (default 10000). */
  eventBuffer?: number
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  ingressPort: number
  adminPort: number
  host: string
  fixture: Fixture
  fixtureSource: string
  seed: number
  clock: 'real' | 'manual'
  speed: number
  startTime?: number
  traffic?: number | true
  snapshot?: string
  snapshotIntervalMs: number
  retentionMs: number
  maxInvocations: number
  adminToken?: string
  corsOrigins: string[]
  logLevel: LogLevel
  bodyLimit: number
  eventBuffer: number
}

/** A bad option: names the field (flag and variable) so the user can find it. Exit code 2. */
export class ConfigError extends Error {
  readonly field: string
  constructor (field: string, message: string) {
    super(`${field}: ${message}`)
    this.name = 'ConfigError'
    this.field = field
  }
}

type Kind = 'port' | 'int' | 'positive' | 'string' | 'clock' | 'level' | 'duration' | 'traffic' | 'time'

interface Field {
  name: keyof EmulatorOptions
  flag: string
  kind: Kind
  help: string
}

export const FIELDS: readonly Field[] = [
  { name: 'ingressPort', flag: 'ingress-port', kind: 'port', help: 'ingress port (default 8080; 0 = any free port)' },
  { name: 'adminPort', flag: 'admin-port', kind: 'port', help: 'admin port (default 9070; 0 = any free port)' },
  { name: 'host', flag: 'host', kind: 'string', help: 'interface to bind (default 127.0.0.1)' },
  { name: 'fixture', flag: 'fixture', kind: 'string', help: 'fixture file (default: built-in e-commerce catalog)' },
  { name: 'seed', flag: 'seed', kind: 'int', help: 'random seed (default: drawn and printed)' },
  { name: 'clock', flag: 'clock', kind: 'clock', help: 'real | manual (default real)' },
  { name: 'speed', flag: 'speed', kind: 'positive', help: 'real clock speed factor (default 1)' },
  { name: 'startTime', flag: 'start-time', kind: 'time', help: 'manual clock start (default 2026-01-01T00:00:00Z)' },
  { name: 'traffic', flag: 'traffic', kind: 'traffic', help: 'demo traffic: arrivals per second, or "on" (fixture rate)' },
  { name: 'snapshot', flag: 'snapshot', kind: 'string', help: 'snapshot file, loaded at start and saved on shutdown' },
  { name: 'snapshotInterval', flag: 'snapshot-interval', kind: 'duration', help: 'save the snapshot this often (default 30s; 0 = shutdown only)' },
  { name: 'retention', flag: 'retention', kind: 'duration', help: 'keep completed invocations this long (default 1d)' },
  { name: 'maxInvocations', flag: 'max-invocations', kind: 'int', help: 'cap on invocations kept (default 100000)' },
  { name: 'adminToken', flag: 'admin-token', kind: 'string', help: 'bearer token for the control API and admin mutations' },
  { name: 'corsOrigins', flag: 'cors-origins', kind: 'string', help: 'allowed CORS origins, comma-separated (default *; "" = off)' },
  { name: 'logLevel', flag: 'log-level', kind: 'level', help: 'fatal|error|warn|info|debug|trace|silent (default info)' },
  { name: 'bodyLimit', flag: 'body-limit', kind: 'int', help: 'largest request body in bytes (default 1048576)' },
  { name: 'eventBuffer', flag: 'event-buffer', kind: 'int', help: 'events kept for Last-Event-ID resume (default 10000)' }
]

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export function envName (field: Field | string): string {
  const flag = typeof field === 'string' ? field : field.flag
  return `RESTATE_EMULATOR_${flag.toUpperCase().replace(/-/g, '_')}`
}

/** Converts one raw value (flag, env or file) to its option type, or throws naming the field. */
function convert (field: Field, raw: unknown, label: string): unknown {
  const text = typeof raw === 'string' ? raw.trim() : raw
  const fail = (why: string): never => { throw new ConfigError(label, `${JSON.stringify(raw)} ${why}`) }
  const integer = (): number => {
    const n = typeof text === 'number' ? text : (typeof text === 'string' && /^-?\d+$/.test(text) ? Number(text) : NaN)
    if (!Number.isSafeInteger(n)) fail('is not a whole number')
    return n
  }
  switch (field.kind) {
    case 'port': {
      const n = integer()
      if (n < 0 || n > 65535) fail('is not a port number (0-65535)')
      return n
    }
    case 'int': {
      const n = integer()
      if (n < (field.name === 'seed' ? 0 : 1)) fail(field.name === 'seed' ? 'must be 0 or more' : 'must be 1 or more')
      return n
    }
    case 'positive': {
      const n = typeof text === 'number' ? text : Number(text)
      if (typeof text === 'string' && text === '') fail('is empty')
      if (!Number.isFinite(n) || n <= 0) fail('must be a positive number')
      return n
    }
    case 'string':
      if (Array.isArray(raw) && field.name === 'corsOrigins') return raw
      if (field.name === 'fixture' && typeof raw === 'object' && raw !== null) return raw
      if (typeof raw !== 'string') fail('must be a string')
      if (field.name !== 'corsOrigins' && text === '') fail('is empty')
      return text
    case 'clock':
      if (text !== 'real' && text !== 'manual') fail('must be real or manual')
      return text
    case 'level':
      if (!LEVELS.includes(text as LogLevel)) fail(`must be one of ${LEVELS.join(', ')}`)
      return text
    case 'duration': {
      const ms = typeof text === 'number' || typeof text === 'string' ? parseDuration(text) : undefined
      if (ms === undefined) fail('is not a duration (e.g. 30s, 1d, PT1H)')
      return ms
    }
    case 'traffic': {
      if (raw === true || text === 'on' || text === 'true') return true
      if (raw === false || text === 'off' || text === 'false' || text === '0') return undefined
      const n = typeof text === 'number' ? text : Number(text)
      if (!Number.isFinite(n) || n <= 0 || n > 10_000) fail('must be a rate per second (0-10000] or on/off')
      return n
    }
    case 'time': {
      const ms = typeof text === 'number' ? text : Date.parse(String(text))
      if (!Number.isFinite(ms)) fail('is not an RFC 3339 time or epoch milliseconds')
      return ms
    }
  }
}

export interface Sources {
  /** Command-line arguments after the program name. */
  argv?: string[]
  env?: Record<string, string | undefined>
  /** Library options, highest precedence. */
  options?: EmulatorOptions
  /** `cli` or `library` defaults. */
  defaults: 'cli' | 'library'
}

export interface CliAction {
  action: 'run' | 'help' | 'version'
}

/**
 * Resolves options: flags (or library options) > env > config file > defaults.
 * Throws ConfigError naming the first bad field.
 */
export function resolveOptions (sources: Sources): ResolvedOptions & CliAction {
  const env = sources.env ?? {}
  const values: Partial<Record<keyof EmulatorOptions, unknown>> = {}
  const origin: Partial<Record<keyof EmulatorOptions, string>> = {}
  let action: CliAction['action'] = 'run'

  let flags: Record<string, unknown> = {}
  if (sources.argv !== undefined) {
    const parsed = parseCli(sources.argv)
    flags = parsed.values
    if (parsed.values.help === true) action = 'help'
    else if (parsed.values.version === true) action = 'version'
  }

  const configPath = (flags.config as string | undefined) ?? env.RESTATE_EMULATOR_CONFIG
  if (configPath !== undefined && configPath !== '') {
    for (const [name, raw] of Object.entries(readConfigFile(configPath))) {
      const field = FIELDS.find(f => f.name === name)
      if (field === undefined) {
        throw new ConfigError(`${configPath}: ${name}`, `unknown option (known: ${FIELDS.map(f => f.name).join(', ')})`)
      }
      values[field.name] = convert(field, raw, `${configPath}: ${name}`)
      origin[field.name] = configPath
    }
  }
  for (const field of FIELDS) {
    const raw = env[envName(field)]
    if (raw !== undefined) {
      values[field.name] = convert(field, raw, envName(field))
      origin[field.name] = 'env'
    }
  }
  for (const field of FIELDS) {
    const raw = flags[field.flag]
    if (raw !== undefined) {
      values[field.name] = convert(field, raw, `--${field.flag}`)
      origin[field.name] = 'flag'
    }
  }
  for (const [name, raw] of Object.entries(sources.options ?? {})) {
    const field = FIELDS.find(f => f.name === name)
    if (field === undefined) throw new ConfigError(`options.${name}`, 'unknown option')
    if (raw === undefined) continue
    values[field.name] = convert(field, raw, `options.${name}`)
    origin[field.name] = 'options'
  }

  const library = sources.defaults === 'library'
  const fixtureValue = values.fixture as Fixture | string | undefined
  const fixtureLabel = origin.fixture === 'env' ? envName('fixture') : origin.fixture === 'flag' ? '--fixture' : 'fixture'
  let fixture: Fixture
  let fixtureSource: string
  try {
    if (fixtureValue === undefined) {
      fixture = loadFixtureFile(DEFAULT_FIXTURE_PATH)
      fixtureSource = 'built-in default fixture'
    } else if (typeof fixtureValue === 'string') {
      fixture = loadFixtureFile(fixtureValue)
      fixtureSource = fixtureValue
    } else {
      fixture = validateFixture(fixtureValue, 'fixture')
      fixtureSource = 'fixture object'
    }
  } catch (err) {
    if (err instanceof EmulatorError) throw new ConfigError(fixtureLabel, err.message)
    throw err
  }

  const cors = values.corsOrigins
  const corsOrigins = cors === undefined
    ? ['*']
    : (Array.isArray(cors) ? cors as string[] : String(cors).split(',').map(s => s.trim()).filter(s => s !== ''))

  return {
    action,
    ingressPort: (values.ingressPort as number | undefined) ?? (library ? 0 : 8080),
    adminPort: (values.adminPort as number | undefined) ?? (library ? 0 : 9070),
    host: (values.host as string | undefined) ?? '127.0.0.1',
    fixture,
    fixtureSource,
    seed: (values.seed as number | undefined) ?? Random.freshSeed(),
    clock: (values.clock as 'real' | 'manual' | undefined) ?? 'real',
    speed: (values.speed as number | undefined) ?? 1,
    startTime: values.startTime as number | undefined,
    traffic: values.traffic as number | true | undefined,
    snapshot: values.snapshot as string | undefined,
    snapshotIntervalMs: (values.snapshotInterval as number | undefined) ?? 30_000,
    retentionMs: (values.retention as number | undefined) ?? DEFAULT_RETENTION_MS,
    maxInvocations: (values.maxInvocations as number | undefined) ?? DEFAULT_MAX_INVOCATIONS,
    adminToken: values.adminToken as string | undefined,
    corsOrigins,
    logLevel: (values.logLevel as LogLevel | undefined) ?? (library ? 'silent' : 'info'),
    bodyLimit: (values.bodyLimit as number | undefined) ?? 1_048_576,
    eventBuffer: (values.eventBuffer as number | undefined) ?? 10_000
  }
}

function parseCli (argv: string[]): { values: Record<string, unknown> } {
  const options: Record<string, { type: 'string' | 'boolean', short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    config: { type: 'string' }
  }
  for (const field of FIELDS) options[field.flag] = { type: 'string' }
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
    return { values }
  } catch (err) {
    const message = (err as Error).message
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? 'arguments'
    throw new ConfigError(flag, message.replace(/\s+To specify.*$/s, ''))
  }
}

function readConfigFile (path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ConfigError('--config', `${path} is not JSON: ${(err as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('--config', `${path} must hold a JSON object of options`)
  }
  return parsed as Record<string, unknown>
}

export function helpText (): string {
  const lines = [
    'Usage: restate-emulator [options]',
    '',
    "An emulator of Restate's ingress (calls) and admin (invocations) APIs.",
    '',
    'Options (each also as RESTATE_EMULATOR_<NAME> in the environment):'
  ]
  for (const field of FIELDS) lines.push(`  --${field.flag.padEnd(20)} ${field.help}`)
  lines.push(`  --${'config'.padEnd(20)} JSON file of options (camelCase names); flags > env > file`)
  lines.push(`  --${'help'.padEnd(20)} this text`)
  lines.push(`  --${'version'.padEnd(20)} the version`)
  return lines.join('\n')
}

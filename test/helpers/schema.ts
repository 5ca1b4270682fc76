import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ErrorObject } from 'ajv'

/**
 * The seed schema itself (../shared/seed/restate-invocation-schema.json beside the checkout),
 * not a copy: every invocation a test receives is checked against it.
 */
const SEED_SCHEMA_URL = new URL('../../../shared/seed/restate-invocation-schema.json', import.meta.url)

const seedSchema = JSON.parse(readFileSync(SEED_SCHEMA_URL, 'utf8')) as Record<string, unknown>
const ajv = new Ajv2020({ allErrors: true, strict: false })
const addFormats = addFormatsModule as unknown as (a: Ajv2020) => Ajv2020
addFormats(ajv)
const validate = ajv.compile(seedSchema)

/** Fields typed `string` in the seed that must never be `null` (only these three may be). */
const NULLABLE = new Set(['target_service_key', 'last_failure', 'next_retry_at'])

/** Problems of one invocation against the seed schema and the record rules of DESIGN.md. */
export function invocationProblems (value: unknown): string[] {
  const problems: string[] = []
  if (!validate(value)) {
    problems.push(...(validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''}`))
  }
  if (value !== null && typeof value === 'object') {
    for (const [field, v] of Object.entries(value)) {
      if (v === null && !NULLABLE.has(field)) problems.push(`/${field} is null`)
      if (v === undefined) problems.push(`/${field} is undefined`)
    }
    const record = value as Record<string, unknown>
    for (const field of ['created_at', 'modified_at', 'next_retry_at', 'completed_at', 'running_at', 'scheduled_start_at', 'inboxed_at', 'last_start_at']) {
      const ts = record[field]
      if (typeof ts === 'string' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(ts)) problems.push(`/${field} '${ts}' is not RFC 3339 UTC with milliseconds`)
    }
    if (typeof record.id === 'string' && !/^inv_[0-9A-Za-z]{34}$/.test(record.id)) problems.push(`/id '${record.id}' is not inv_ + 34 base62`)
    if (typeof record.trace_id === 'string' && !/^[0-9a-f]{32}$/.test(record.trace_id)) problems.push(`/trace_id '${record.trace_id}' is not 32 hex`)
    if (typeof record.deployment_id === 'string' && !/^dp_[0-9A-Za-z]{23}$/.test(record.deployment_id)) problems.push(`/deployment_id '${record.deployment_id}' is not dp_ + 23 base62`)
  }
  return problems
}

/** Throws with every problem if the value is not a valid invocation. */
export function assertInvocation (value: unknown): void {
  const problems = invocationProblems(value)
  if (problems.length > 0) {
    throw new Error(`invalid invocation ${JSON.stringify(value)}:\n  ${problems.join('\n  ')}`)
  }
}

/**
 * Finds every invocation inside a response body (a record, `{invocations: […]}`, an event or a
 * snapshot) and checks each; returns how many it checked.
 */
export function assertInvocationsIn (body: unknown): number {
  let count = 0
  const visit = (value: unknown, key: string | undefined): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key)
      return
    }
    if (value === null || typeof value !== 'object') return
    const record = value as Record<string, unknown>
    if (key === 'invocation' || key === 'invocations' || key === undefined) {
      if (typeof record.id === 'string' && typeof record.status === 'string' && typeof record.target === 'string') {
        assertInvocation(record)
        count++
        return
      }
    }
    for (const [k, v] of Object.entries(record)) visit(v, k)
  }
  visit(body, undefined)
  return count
}

import { readFileSync } from 'node:fs'
import { Value } from '@sinclair/typebox/value'
import { Fixture } from './core/behavior.js'
import { checkFixture } from './core/catalog.js'
import { badRequest } from './core/errors.js'
import './core/formats.js'

/** The built-in fixture that `restate-emulator` serves when given none. */
export const DEFAULT_FIXTURE_PATH = new URL('../fixtures/default.json', import.meta.url)

/**
 * Checks a fixture against its schema and its semantic rules; the error names the JSON path of
 * the first bad field (`fixture/services/0/handlers/greet/duration: …`).
 */
export function validateFixture (value: unknown, where = 'fixture'): Fixture {
  if (!Value.Check(Fixture, value)) {
    const errors = [...Value.Errors(Fixture, value)]
    // The deepest error says most about what is wrong inside a union.
    const best = errors.reduce((a, b) => (b.path.length > a.path.length ? b : a), errors[0])
    throw badRequest(`${where}${best?.path ?? ''}: ${best?.message ?? 'invalid'}`)
  }
  const problems = checkFixture(value)
  if (problems.length > 0) throw badRequest(`${where}${problems[0][0]}: ${problems[0][1]}`)
  return value
}

export function loadFixtureFile (path: string | URL): Fixture {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw badRequest(`fixture: cannot read ${String(path)}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw badRequest(`fixture: ${String(path)} is not JSON: ${(err as Error).message}`)
  }
  return validateFixture(parsed, 'fixture')
}

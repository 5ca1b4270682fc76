/**
 * Writes fixtures/fixture.schema.json from the TypeBox source of the fixture format, so that the
 * published JSON Schema never drifts from what the emulator validates. `--check` only compares,
 * and exits 1 when the committed file is stale.
 *
 *   npm run fixture-schema            # regenerate
 *   npm run fixture-schema -- --check # verify (CI)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { fixtureJsonSchema } from '../src/fixture-schema.js'

export const FIXTURE_SCHEMA_PATH = fileURLToPath(new URL('../fixtures/fixture.schema.json', import.meta.url))

/** The file's exact text: two-space JSON and a final newline. */
export function fixtureSchemaText (): string {
  return `${JSON.stringify(fixtureJsonSchema(), null, 2)}\n`
}

function main (args: string[]): number {
  const text = fixtureSchemaText()
  let current: string | undefined
  try {
    current = readFileSync(FIXTURE_SCHEMA_PATH, 'utf8')
  } catch {
    current = undefined
  }
  if (args.includes('--check')) {
    if (current === text) return 0
    process.stderr.write(`${FIXTURE_SCHEMA_PATH} is out of date; run npm run fixture-schema\n`)
    return 1
  }
  if (current !== text) writeFileSync(FIXTURE_SCHEMA_PATH, text)
  process.stdout.write(`${current === text ? 'unchanged' : 'wrote'} ${FIXTURE_SCHEMA_PATH}\n`)
  return 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2))
}

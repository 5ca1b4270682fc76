import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', '.cache/**', '.tap/**', 'coverage/**'] }),
  {
    rules: {
      // A TypeBox schema and its static type share a name, by design (see STYLE.md).
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]

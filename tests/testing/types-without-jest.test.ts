import path from 'node:path';
import ts from 'typescript';

const NODE_TEST_USER = path.join(__dirname, 'conformance-under-node-test.ts');

describe('accounts-module/testing for a user without Jest', () => {
  it('type-checks with node:test and without @types/jest, and never loads Jest types', () => {
    const program = ts.createProgram([NODE_TEST_USER], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(problems).toEqual([]);
    const loaded = program.getSourceFiles().map((file) => file.fileName);
    expect(loaded.filter((file) => /@types\/jest|@jest\/|expect\/build/.test(file))).toEqual([]);
    expect(loaded.some((file) => file.endsWith('src/testing/io-conformance/users.ts'))).toBe(true);
  }, 60_000);
});

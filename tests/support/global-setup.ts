/** Runs once before all test files. Database suites report what they skip themselves (tests/support/databases.ts). */
export default async function globalSetup(): Promise<void> {}

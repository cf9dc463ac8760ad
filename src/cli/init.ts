/** Placeholder until the command lands. */
export async function initCommand(_serverCommand: string[] | null, _flags: object): Promise<number> {
  process.stderr.write("policylayer: init is not built yet\n");
  return 2;
}

/**
 * Every command's help in Vietnamese by default, English with --lang en: the description of each
 * command, option and argument, and commander's own headings. The program is built in this process
 * (its parse held back) and its tree walked, instead of starting the CLI once per command.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Command } from 'commander';

const vietnameseLetters = /[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]/i;

/** The CLI's program in `lang`, as main.ts builds it, without running a command. */
async function programIn(lang: 'vi' | 'en'): Promise<Command> {
  vi.resetModules();
  vi.stubEnv('SACHSONG_LANG', lang);
  const commander = await import('commander');
  let built: Command | undefined;
  const parse = vi.spyOn(commander.Command.prototype, 'parseAsync').mockImplementation(function (this: Command) {
    // The program parsed by main.ts is the one to walk.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    built = this;
    return Promise.resolve(this);
  });
  await import('../src/cli/main.js');
  parse.mockRestore();
  if (built === undefined) throw new Error('main.ts did not parse its program');
  return built;
}

function* walk(command: Command, path: readonly string[] = []): Generator<{ path: string; command: Command }> {
  for (const sub of command.commands) {
    const here = [...path, sub.name()];
    yield { path: here.join(' '), command: sub };
    yield* walk(sub, here);
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the help of every subcommand', () => {
  it('is Vietnamese by default: commands, options, arguments and headings', async () => {
    const program = await programIn('vi');
    const english: string[] = [];
    const commands = [...walk(program)];
    expect(commands.length).toBeGreaterThan(40);
    for (const { path, command } of commands) {
      if (!vietnameseLetters.test(command.description())) english.push(`${path}: ${command.description()}`);
      for (const option of command.options) {
        if (!vietnameseLetters.test(option.description)) english.push(`${path} ${option.flags}: ${option.description}`);
      }
      for (const argument of command.registeredArguments) {
        if (!vietnameseLetters.test(argument.description)) english.push(`${path} <${argument.name()}>: ${argument.description}`);
      }
      const help = command.helpInformation();
      expect(help, path).toMatch(/^Cách dùng: sachsong /);
      expect(help, path).toContain('xem hướng dẫn của lệnh');
      expect(help, path).not.toMatch(/\b(Usage|Options|Commands|Arguments):|\(default: /);
    }
    expect(english).toEqual([]);
    const grantAdd = commands.find((c) => c.path === 'grant add')?.command.helpInformation() ?? '';
    expect(grantAdd).toMatch(/--rate <n>\s+số lần gọi mỗi phút \(mặc định: 600\)/);
    expect(grantAdd).toMatch(/Tùy chọn:/);
  }, 120_000);

  it('is English with SACHSONG_LANG=en', async () => {
    const program = await programIn('en');
    const grantAdd = [...walk(program)].find((c) => c.path === 'grant add')?.command.helpInformation() ?? '';
    expect(grantAdd).toMatch(/^Usage: sachsong grant add/);
    expect(grantAdd).toMatch(/--rate <n>\s+calls a minute \(default: 600\)/);
    expect(grantAdd).not.toMatch(vietnameseLetters);
  }, 120_000);
});

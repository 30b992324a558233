import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from './request-logger.js';

function capture(level: string): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  return { logger: pino({ level }, sink), lines };
}

describe('lazyRequestLogger', () => {
  it('writes with the request bindings, at the parent level or the route level given', () => {
    const { logger, lines } = capture('warn');
    const log = lazyRequestLogger(logger, { reqId: 'req-1' }, {});
    expect(log.level).toBe('warn');
    log.info('not written');
    log.warn({ code: 'X' }, 'written');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reqId: 'req-1', code: 'X', msg: 'written' });
    const verbose = lazyRequestLogger(logger, { reqId: 'req-2' }, { level: 'debug' });
    expect(verbose.level).toBe('debug');
    verbose.debug('route level');
    expect(lines[1]).toMatchObject({ reqId: 'req-2', msg: 'route level' });
  });

  it('makes no child for a request that writes nothing, nor for lines below the level', () => {
    const { logger, lines } = capture('warn');
    let children = 0;
    const counting = Object.assign(Object.create(logger) as pino.Logger, {
      child: (...args: Parameters<pino.Logger['child']>) => { children++; return logger.child(...args); },
    });
    const log = lazyRequestLogger(counting, { reqId: 'req-4' }, {});
    log.info('below the level');
    log.debug('below the level');
    log.silent('never');
    expect(children).toBe(0);
    log.error('written');
    log.error('again');
    expect(children).toBe(1);
    expect(lines).toHaveLength(2);
  });

  it('makes children that keep the request bindings, and follows a level change', () => {
    const { logger, lines } = capture('info');
    const log = lazyRequestLogger(logger, { reqId: 'req-3' }, {});
    log.child({ step: 'store' }).error('failed');
    expect(lines[0]).toMatchObject({ reqId: 'req-3', step: 'store', msg: 'failed' });
    log.level = 'error';
    log.warn('dropped');
    expect(lines).toHaveLength(1);
    expect(logger.level).toBe('info');
  });
});

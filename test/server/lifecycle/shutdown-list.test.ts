import { expect } from 'chai';
import { ShutdownList } from '../../../server/lifecycle/shutdown-list.js';
import { silentLogger } from '../../support/test-database.js';

describe('ShutdownList', () => {
  it('stops in the reverse order of adding: the last thing started stops first', async () => {
    const stopped: string[] = [];
    const shutdown = new ShutdownList(silentLogger, 1000);
    for (const name of ['pool', 'scheduler', 'server']) shutdown.add(name, () => stopped.push(name));
    const result = await shutdown.run('test');
    expect(stopped).to.deep.equal(['server', 'scheduler', 'pool']);
    expect(result.clean).to.equal(true);
  });

  describe('given a step that fails', () => {
    it('still runs the others and reports the shutdown as not clean', async () => {
      const stopped: string[] = [];
      const shutdown = new ShutdownList(silentLogger, 1000);
      shutdown.add('pool', () => stopped.push('pool'));
      shutdown.add('broken', () => Promise.reject(new Error('cannot stop')));
      const result = await shutdown.run('test');
      expect(stopped).to.deep.equal(['pool']);
      expect(result.clean).to.equal(false);
    });
  });

  describe('given a step still waiting at the deadline', () => {
    it('aborts its deadline signal, so it can cut what is left, and reports not clean', async () => {
      const shutdown = new ShutdownList(silentLogger, 50);
      let sawAbort = false;
      shutdown.add('stuck server', (deadline) => new Promise<void>((resolve) => deadline.addEventListener('abort', () => {
        sawAbort = true;
        resolve();
      })));
      const result = await shutdown.run('test');
      expect(sawAbort).to.equal(true);
      expect(result.clean).to.equal(false);
    });
  });

  it('runs once: a second signal gets the same result, and adding after the start is refused', async () => {
    let runs = 0;
    const shutdown = new ShutdownList(silentLogger, 1000);
    shutdown.add('server', () => {
      runs += 1;
    });
    const [first, second] = await Promise.all([shutdown.run('SIGTERM'), shutdown.run('SIGINT')]);
    expect(runs).to.equal(1);
    expect(second).to.equal(first);
    expect(() => shutdown.add('late', () => undefined)).to.throw(/shutdown already started: cannot add "late"/);
  });
});

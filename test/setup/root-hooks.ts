import { setUpSampleFixture, tearDownSampleFixture } from '../support/sample-fixture.js';

// Root hooks: one sample database for the whole run. A database that cannot be reached makes
// this hook, and so the run, fail: tests never skip silently.
before(async function () {
  this.timeout(180_000);
  await setUpSampleFixture();
});

after(async function () {
  this.timeout(60_000);
  await tearDownSampleFixture();
});

'use strict';
// ShareDB's own adapter conformance suites, run against the reference in-memory adapter and each
// of our stores: `sharedb/test/db` (snapshots, ops, commits, queries) and
// `sharedb/test/milestone-db` (milestone snapshots). Loads the compiled server (`npx tsc -b`).
// Fails the run when one of our adapters passes fewer tests than the reference.
//
//   mocha --reporter dot test/contract/sharedb-db.conformance.cjs
//   TEST_MONGO_URL=mongodb://127.0.0.1:27017/concord-conformance  (adds MongoDB; it drops that database)

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sinon = require('sinon');
const ShareDBMingo = require('sharedb-mingo-memory');
const getQuery = require('sharedb-mingo-memory/get-query');
const MemoryMilestoneDB = require('sharedb/lib/milestone-db/memory');
const runDbSuite = require('sharedb/test/db');

const distEntry = path.join(__dirname, '../../server/dist/storage/index.js');
if (!fs.existsSync(distEntry)) {
  throw new Error(`${distEntry} is missing: build first with \`npx tsc -b\``);
}
const storage = require(distEntry);

const mongoUrl = process.env.TEST_MONGO_URL;
const tally = new Map(); // adapter name -> {passed, failed}
const reference = { db: 'reference (sharedb-mingo-memory)', milestone: 'milestone reference (MemoryMilestoneDB)' };
const ours = { db: [], milestone: [] };
let tmpDir;
let fileCount = 0;
const openStorages = [];

function tempFile() {
  return path.join(tmpDir, `conformance-${++fileCount}.sqlite`);
}

/** Runs a suite inside a describe that counts its passes and failures under `name`. */
function adapter(name, kind, defineSuite) {
  tally.set(name, { passed: 0, failed: 0 });
  if (name !== reference[kind]) ours[kind].push(name);
  describe(name, function () {
    // Mocha's 2 s default is tight for opening a fresh database file per test on a loaded machine.
    this.timeout(10_000);
    afterEach(function () {
      const state = this.currentTest && this.currentTest.state;
      const counts = tally.get(name);
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
    });
    defineSuite();
  });
}

/** The suites call `create(callback)` or `create(options, callback)`. */
function factory(make) {
  return function create(options, callback) {
    if (typeof options === 'function') {
      callback = options;
      options = null;
    }
    Promise.resolve()
      .then(() => make(options || {}))
      .then((db) => callback(null, db), (error) => callback(error));
  };
}

// As ShareDB's own test setup: its logger prints the errors the suites provoke on purpose.
if (process.env.LOGGING !== 'true') {
  require('sharedb/lib/logger').setMethods({ info() {}, warn() {}, error() {} });
}

afterEach(function () {
  sinon.restore();
});

before(function () {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-conformance-'));
});

after(async function () {
  this.timeout(60_000); // removing hundreds of database files takes a while on a busy disk
  await Promise.all(openStorages.map((opened) => opened.close()));
  fs.rmSync(tmpDir, { recursive: true, force: true });
  console.log('');
  if (!mongoUrl) console.log('MongoDB conformance skipped: TEST_MONGO_URL not set');
  for (const [name, counts] of tally) {
    console.log(`conformance ${name}: ${counts.passed} passed, ${counts.failed} failed`);
  }
  const short = [];
  for (const kind of ['db', 'milestone']) {
    const expected = tally.get(reference[kind]).passed;
    for (const name of ours[kind]) {
      const { passed } = tally.get(name);
      if (passed < expected) short.push(`${name} passed ${passed}, the reference ${expected}`);
    }
  }
  if (short.length > 0) throw new Error(`adapters below the reference: ${short.join('; ')}`);
});

// ---- DB adapters: sharedb/test/db

adapter(reference.db, 'db', () => {
  runDbSuite({ create: factory(() => new ShareDBMingo()), getQuery });
});

adapter('sqlite', 'db', () => {
  runDbSuite({ create: factory(() => new storage.SqliteDb({ filename: tempFile() })), getQuery });
});

adapter('memory', 'db', () => {
  runDbSuite({ create: factory(() => storage.createMemoryStorage().db), getQuery });
});

if (mongoUrl) {
  adapter('mongo', 'db', () => {
    runDbSuite({
      create: factory(async () => {
        const opened = storage.createMongoStorage({ url: mongoUrl, serverSelectionTimeoutMS: 3000 });
        openStorages.push(opened);
        await opened.client.db().dropDatabase();
        return opened.db;
      }),
      getQuery,
    });
  });
}

// ---- Milestone adapters: sharedb/test/milestone-db
// Requiring it also defines ShareDB's tests of its own base classes; they are not ours to count.

describe('ShareDB milestone base classes', function () {
  require('sharedb/test/milestone-db');
});
const runMilestoneSuite = require('sharedb/test/milestone-db');

adapter(reference.milestone, 'milestone', () => {
  runMilestoneSuite({ create: factory((options) => new MemoryMilestoneDB(options)) });
});

adapter('milestone sqlite', 'milestone', () => {
  runMilestoneSuite({
    create: factory((options) => new storage.SqliteMilestoneDb({ filename: tempFile(), interval: options.interval })),
  });
});

adapter('milestone memory', 'milestone', () => {
  runMilestoneSuite({
    create: factory((options) => storage.createMemoryStorage({ milestoneInterval: options.interval }).milestoneDb),
  });
});

if (mongoUrl) {
  adapter('milestone mongo', 'milestone', () => {
    runMilestoneSuite({
      create: factory(async (options) => {
        const opened = storage.createMongoStorage({
          url: mongoUrl,
          milestoneInterval: options.interval,
          serverSelectionTimeoutMS: 3000,
        });
        openStorages.push(opened);
        await opened.client.db().dropDatabase();
        return opened.milestoneDb;
      }),
    });
  });
}

'use strict';
// node-vault's system calls against an unsealed dev server: health,
// seal status, the mount and auth tables (node-vault reads the legacy
// top-level copy of data), enabling and disabling engines, token lookup,
// and how a bad token surfaces.

const { assert, client, env, rejectsWith, run } = require('./lib');

const vault = client();
const token = env('VAULT_TOKEN');

run([
	['health() resolves with the bare health body', async () => {
		const h = await vault.health();
		assert.strictEqual(h.initialized, true);
		assert.strictEqual(h.sealed, false);
		assert.strictEqual(h.standby, false);
		assert.strictEqual(typeof h.version, 'string');
		assert.strictEqual(h.request_id, undefined, 'no envelope');
	}],
	['health({activecode: 299}) still resolves: node-vault lets any ' +
	 'health status through', async () => {
		const h = await vault.health({ activecode: 299 });
		assert.strictEqual(h.sealed, false);
	}],
	['status() reports an unsealed one-share shamir seal', async () => {
		const s = await vault.status();
		assert.strictEqual(s.sealed, false);
		assert.strictEqual(s.initialized, true);
		assert.strictEqual(s.type, 'shamir');
		assert.strictEqual(s.t, 1);
		assert.strictEqual(s.n, 1);
		assert.strictEqual(s.progress, 0);
	}],
	['mounts() has secret/ as kv v2, in data and at the top level',
	 async () => {
		const m = await vault.mounts();
		assert.ok(m.hasOwnProperty('secret/'), 'top-level copy');
		assert.ok(m.hasOwnProperty('sys/'), 'top-level sys/');
		assert.deepStrictEqual(m['secret/'], m.data['secret/']);
		assert.strictEqual(m.data['secret/'].type, 'kv');
		assert.deepStrictEqual(m.data['secret/'].options,
				       { version: '2' });
		assert.strictEqual(m.warnings, null);
	}],
	['auths() has token/ at the top level', async () => {
		const a = await vault.auths();
		assert.ok(a.hasOwnProperty('token/'), 'top-level copy');
		assert.strictEqual(a['token/'].type, 'token');
		assert.deepStrictEqual(a['token/'], a.data['token/']);
	}],
	['mount() type kv with options version 2, then use it', async () => {
		const body = await vault.mount({ mount_point: 'apps', type: 'kv',
						 description: 'app secrets',
						 options: { version: '2' } });
		assert.strictEqual(body, '', '204 without a body');
		const m = await vault.mounts();
		assert.ok(m.hasOwnProperty('apps/'));
		assert.strictEqual(m['apps/'].type, 'kv');
		assert.strictEqual(m['apps/'].description, 'app secrets');
		assert.deepStrictEqual(m['apps/'].options, { version: '2' });
		await vault.write('apps/data/db', { data: { user: 'app' } });
		const r = await vault.read('apps/data/db');
		assert.deepStrictEqual(r.data.data, { user: 'app' });
	}],
	['mount() with options.version as the number 2 is stored as "2"',
	 async () => {
		await vault.mount({ mount_point: 'numeric', type: 'kv',
				    options: { version: 2 } });
		const m = await vault.mounts();
		assert.deepStrictEqual(m['numeric/'].options, { version: '2' });
	}],
	['mount() type generic is a kv v1 engine', async () => {
		await vault.mount({ mount_point: 'test', type: 'generic',
				    description: 'just a test' });
		const m = await vault.mounts();
		assert.ok(m.hasOwnProperty('test/'));
		assert.strictEqual(m['test/'].type, 'kv');
		assert.strictEqual(m['test/'].description, 'just a test');
		await vault.write('test/hello', { value: 'world' });
		const r = await vault.read('test/hello');
		assert.deepStrictEqual(r.data, { value: 'world' });
	}],
	['mount() on a path in use is a 400', async () => {
		await rejectsWith(vault.mount({ mount_point: 'test',
						type: 'kv' }),
				  400, 'path is already in use at test/');
	}],
	['unmount() removes the engine and its data', async () => {
		const body = await vault.unmount({ mount_point: 'test' });
		assert.strictEqual(body, '', '204 without a body');
		const m = await vault.mounts();
		assert.ok(!m.hasOwnProperty('test/'));
		assert.ok(!m.data.hasOwnProperty('test/'));
		await rejectsWith(vault.read('test/hello'), 404);
		await vault.unmount({ mount_point: 'apps' });
		await vault.unmount({ mount_point: 'numeric' });
	}],
	['unmount() of sys/ is refused with a 400', async () => {
		await rejectsWith(vault.unmount({ mount_point: 'sys' }), 400);
		const m = await vault.mounts();
		assert.ok(m.hasOwnProperty('sys/'));
	}],
	['tokenLookupSelf() describes the root token', async () => {
		const r = await vault.tokenLookupSelf();
		assert.strictEqual(r.data.id, token);
		assert.deepStrictEqual(r.data.policies, ['root']);
		assert.strictEqual(r.data.ttl, 0);
		assert.strictEqual(r.data.expire_time, null);
		assert.strictEqual(typeof r.data.creation_time, 'number');
		assert.strictEqual(r.auth, null);
	}],
	['a bad token is a 403 "permission denied" error', async () => {
		const bad = client({ token: 'not-a-real-token' });
		const err = await rejectsWith(bad.mounts(), 403,
					      'permission denied');
		assert.ok(err.response.body.errors.includes('invalid token'),
			  JSON.stringify(err.response.body));
		await rejectsWith(bad.tokenLookupSelf(), 403,
				  'permission denied');
		await rejectsWith(bad.read('secret/data/x'), 403,
				  'permission denied');
	}],
	['an unknown mount is a 404 naming the route', async () => {
		await rejectsWith(vault.read('nosuch/thing'), 404,
				  'no handler for route "nosuch/thing". ' +
				  'route entry not found.');
	}],
]);

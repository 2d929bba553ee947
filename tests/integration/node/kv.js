'use strict';
// node-vault's generic read/write/list/delete/update on KV version 1 and
// version 2, the way applications call them: paths as typed, lists with a
// trailing slash, update() as a JSON merge patch, the noCustomHTTPVerbs
// fallback for listing, and the errors node-vault turns 404 and 413 into.

const { assert, client, rejectsWith, run } = require('./lib');

const vault = client();

run([
	['write() on KV v2 creates version 1 and answers its metadata',
	 async () => {
		const r = await vault.write('secret/data/app',
					    { data: { user: 'u', pass: 'p' } });
		assert.strictEqual(r.data.version, 1);
		assert.strictEqual(r.data.deletion_time, '');
		assert.strictEqual(r.data.destroyed, false);
	}],
	['read() on KV v2 returns data and metadata', async () => {
		const r = await vault.read('secret/data/app');
		assert.deepStrictEqual(r.data.data, { user: 'u', pass: 'p' });
		assert.strictEqual(r.data.metadata.version, 1);
		assert.strictEqual(r.lease_id, '');
		assert.strictEqual(r.warnings, null);
	}],
	['write() again makes version 2; ?version=1 still reads the first',
	 async () => {
		const r = await vault.write('secret/data/app',
					    { data: { user: 'u2' } });
		assert.strictEqual(r.data.version, 2);
		const latest = await vault.read('secret/data/app');
		assert.deepStrictEqual(latest.data.data, { user: 'u2' });
		const first = await vault.read('secret/data/app?version=1');
		assert.deepStrictEqual(first.data.data,
				       { user: 'u', pass: 'p' });
	}],
	['update() sends a merge patch: keys added, changed and nulled out',
	 async () => {
		await vault.write('secret/data/patched',
				  { data: { a: '1', b: '2', c: '3' } });
		const r = await vault.update('secret/data/patched',
					     { data: { b: 'two', c: null,
						       d: '4' } });
		assert.strictEqual(r.data.version, 2);
		const read = await vault.read('secret/data/patched');
		assert.deepStrictEqual(read.data.data,
				       { a: '1', b: 'two', d: '4' });
	}],
	['update() of a secret that does not exist is a 404', async () => {
		await rejectsWith(vault.update('secret/data/never',
					       { data: { a: '1' } }),
				  404, 'Status 404');
	}],
	['list() with a trailing slash lists keys and sub-folders',
	 async () => {
		await vault.write('secret/data/dir/inner', { data: { x: '1' } });
		const r = await vault.list('secret/metadata/');
		assert.deepStrictEqual(r.data.keys.slice().sort(),
				       ['app', 'dir/', 'patched']);
		const inner = await vault.list('secret/metadata/dir/');
		assert.deepStrictEqual(inner.data.keys, ['inner']);
	}],
	['list() without the trailing slash lists the same folder',
	 async () => {
		const r = await vault.list('secret/metadata/dir');
		assert.deepStrictEqual(r.data.keys, ['inner']);
	}],
	['list() with noCustomHTTPVerbs (GET ?list=1) gives the same keys',
	 async () => {
		const plain = client({ noCustomHTTPVerbs: true });
		const r = await plain.list('secret/metadata/');
		assert.deepStrictEqual(r.data.keys.slice().sort(),
				       ['app', 'dir/', 'patched']);
	}],
	['list() of an empty mount is a 404 with no error text', async () => {
		await vault.mount({ mount_point: 'empty', type: 'kv',
				    options: { version: '2' } });
		const err = await rejectsWith(vault.list('empty/metadata/'),
					      404, 'Status 404');
		assert.deepStrictEqual(err.response.body, { errors: [] });
	}],
	['delete() on KV v2 soft-deletes: read is a 404 carrying metadata',
	 async () => {
		const body = await vault.delete('secret/data/app');
		assert.strictEqual(body, '', '204 without a body');
		const err = await rejectsWith(vault.read('secret/data/app'),
					      404, 'Status 404');
		const meta = err.response.body.data.metadata;
		assert.strictEqual(meta.version, 2);
		assert.notStrictEqual(meta.deletion_time, '');
		const first = await vault.read('secret/data/app?version=1');
		assert.strictEqual(first.data.data.user, 'u');
	}],
	['read() of a missing KV v2 secret is a 404 with empty errors',
	 async () => {
		const err = await rejectsWith(vault.read('secret/data/none'),
					      404, 'Status 404');
		assert.deepStrictEqual(err.response.body, { errors: [] });
	}],
	['KV v1: write() is a 204, read() returns the object as written',
	 async () => {
		await vault.mount({ mount_point: 'v1', type: 'kv' });
		const body = await vault.write('v1/db',
					       { user: 'u', port: 5432 });
		assert.strictEqual(body, '', '204 without a body');
		const r = await vault.read('v1/db');
		assert.deepStrictEqual(r.data, { user: 'u', port: 5432 });
		assert.strictEqual(r.lease_duration, 2764800);
		assert.strictEqual(r.lease_id, '');
	}],
	['KV v1: a stored ttl sets the lease_duration read back', async () => {
		await vault.write('v1/short', { value: 'x', ttl: '1h' });
		const r = await vault.read('v1/short');
		assert.strictEqual(r.lease_duration, 3600);
	}],
	['KV v1: list() both ways, then delete()', async () => {
		await vault.write('v1/sub/leaf', { value: 'y' });
		const r = await vault.list('v1/');
		assert.deepStrictEqual(r.data.keys.slice().sort(),
				       ['db', 'short', 'sub/']);
		const plain = client({ noCustomHTTPVerbs: true });
		const g = await plain.list('v1/sub/');
		assert.deepStrictEqual(g.data.keys, ['leaf']);
		assert.strictEqual(await vault.delete('v1/db'), '');
		await rejectsWith(vault.read('v1/db'), 404, 'Status 404');
		assert.strictEqual(await vault.delete('v1/db'), '',
				   'deleting again is still a 204');
	}],
	['a path on a v2 mount without data/ is a 404', async () => {
		await rejectsWith(vault.read('secret/app'), 404);
	}],
	['a body over 32 MiB is refused with a 413', async () => {
		const big = 'x'.repeat(33 * 1024 * 1024);
		await rejectsWith(vault.write('secret/data/big',
					      { data: { big } }),
				  413, 'request body too large');
		const after = await vault.list('secret/metadata/');
		assert.ok(!after.data.keys.includes('big'));
	}],
]);

'use strict';
// node-vault's seal(), what it sees while the server is sealed (health
// resolves with the 503 body instead of rejecting; everything else rejects
// with "Vault is sealed"), and unseal() with the dev server's key share.

const { assert, client, env, rejectsWith, run } = require('./lib');

const vault = client();
const unsealKey = env('VAULT_UNSEAL_KEY');

run([
	['seal() answers 204', async () => {
		assert.strictEqual(await vault.seal(), '');
	}],
	['status() reports sealed', async () => {
		const s = await vault.status();
		assert.strictEqual(s.sealed, true);
		assert.strictEqual(s.progress, 0);
	}],
	['health() resolves with the sealed body although the status is 503',
	 async () => {
		const h = await vault.health();
		assert.strictEqual(h.sealed, true);
		assert.strictEqual(h.initialized, true);
	}],
	['health({sealedcode: 200}) also resolves', async () => {
		const h = await vault.health({ sealedcode: 200 });
		assert.strictEqual(h.sealed, true);
	}],
	['calls other than health reject with 503 "Vault is sealed"',
	 async () => {
		await rejectsWith(vault.mounts(), 503, 'Vault is sealed');
		await rejectsWith(vault.read('secret/data/x'), 503,
				  'Vault is sealed');
		await rejectsWith(vault.tokenLookupSelf(), 503,
				  'Vault is sealed');
	}],
	['unseal() with a wrong key is refused and leaves it sealed',
	 async () => {
		await rejectsWith(vault.unseal({ key: '00'.repeat(33) }), 400);
		assert.strictEqual((await vault.status()).sealed, true);
	}],
	['unseal() with the key share opens it again', async () => {
		const s = await vault.unseal({ key: unsealKey });
		assert.strictEqual(s.sealed, false);
		const m = await vault.mounts();
		assert.ok(m.hasOwnProperty('secret/'));
		const h = await vault.health();
		assert.strictEqual(h.sealed, false);
	}],
]);

'use strict';
// node-vault's token and policy calls as an application makes them:
// tokenCreate, lookups (by value, self, accessor), renew, revoke (a tree,
// by accessor, self), policies()/addPolicy/getPolicy/removePolicy, a token
// with a policy reading allowed and denied paths and seeing a policy
// change at once, and a read wrapped with the X-Vault-Wrap-TTL header
// passed through node-vault's per-call request options, then unwrap().
//
// node-vault replaces a client's token with auth.client_token of every
// tokenCreate/tokenRenew answer ("tokenSource"), so calls made as root use
// a fresh root client each time.

const { assert, client, env, rejectsWith, run } = require('./lib');

const rootToken = env('VAULT_TOKEN');
const root = () => client();
const as = (token) => client({ token });

const READER = 'path "secret/data/app/*" { capabilities = ["read"] }\n' +
	'path "secret/data/app/locked" { capabilities = ["deny"] }\n';
const CREATOR = 'path "auth/token/create" ' +
	'{ capabilities = ["create", "update"] }\n';

const state = {};

async function alive(token) {
	try {
		await as(token).tokenLookupSelf();
		return true;
	} catch (err) {
		if (err.response && err.response.statusCode === 403) {
			return false;
		}
		throw err;
	}
}

run([
	['addPolicy/getPolicy/policies(): a policy written, read, listed',
	 async () => {
		const body = await root().addPolicy({ name: 'Reader',
						      rules: READER });
		assert.ok(body === '' || body.warnings, 'written');
		const got = await root().getPolicy({ name: 'reader' });
		assert.strictEqual(got.rules, READER);
		assert.strictEqual(got.name, 'reader');
		await root().addPolicy({ name: 'creator', rules: CREATOR });
		const list = await root().policies();
		assert.deepStrictEqual(list.policies,
				       ['creator', 'default', 'reader', 'root']);
	}],
	['tokenCreate() answers auth and makes the client use the new token',
	 async () => {
		const v = root();
		const r = await v.tokenCreate({ policies: ['reader', 'creator'],
						ttl: '1h',
						meta: { app: 'node' } });
		assert.ok(r.auth.client_token.startsWith('hvs.'));
		assert.deepStrictEqual(r.auth.policies,
				       ['creator', 'default', 'reader']);
		assert.strictEqual(r.auth.lease_duration, 3600);
		assert.strictEqual(r.auth.renewable, true);
		assert.deepStrictEqual(r.auth.metadata, { app: 'node' });
		assert.strictEqual(v.token, r.auth.client_token);
		state.app = r.auth;
	}],
	['tokenLookup, tokenLookupSelf and tokenLookupAccessor agree',
	 async () => {
		const t = state.app;
		const byValue = await root().tokenLookup({
			token: t.client_token });
		assert.strictEqual(byValue.data.accessor, t.accessor);
		assert.deepStrictEqual(byValue.data.meta, { app: 'node' });
		assert.ok(byValue.data.ttl > 3500 && byValue.data.ttl <= 3600);
		const self = await as(t.client_token).tokenLookupSelf();
		assert.strictEqual(self.data.id, t.client_token);
		const byAcc = await root().tokenLookupAccessor({
			accessor: t.accessor });
		assert.strictEqual(byAcc.data.id, '', 'no token by accessor');
		assert.deepStrictEqual(byAcc.data.policies,
				       ['creator', 'default', 'reader']);
		await rejectsWith(root().tokenLookupAccessor({
			accessor: 'nope' }), 400);
		await rejectsWith(root().tokenLookup({ token: 'hvs.nope' }),
				  403, 'bad token');
	}],
	['a token with a policy reads what it allows and nothing else',
	 async () => {
		const r = root();
		await r.write('secret/data/app/one', { data: { v: '1' } });
		await r.write('secret/data/app/locked', { data: { v: 'x' } });
		await r.write('secret/data/other', { data: { v: 'o' } });
		const app = as(state.app.client_token);
		const got = await app.read('secret/data/app/one');
		assert.deepStrictEqual(got.data.data, { v: '1' });
		for (const path of ['secret/data/app/locked',
				    'secret/data/other',
				    'secret/metadata/app/one']) {
			await rejectsWith(app.read(path), 403,
					  'permission denied');
		}
		await rejectsWith(app.write('secret/data/app/one',
					    { data: { v: 'changed' } }),
				  403, 'permission denied');
		const still = await root().read('secret/data/app/one');
		assert.deepStrictEqual(still.data.data, { v: '1' });
	}],
	['a policy update is seen by the live token at once; removePolicy ' +
	 'takes the access away', async () => {
		const app = as(state.app.client_token);
		await rejectsWith(app.read('secret/data/other'), 403);
		await root().addPolicy({ name: 'reader', rules: READER +
			'path "secret/data/other" { capabilities = ["read"] }\n' });
		const got = await app.read('secret/data/other');
		assert.deepStrictEqual(got.data.data, { v: 'o' });
		await root().removePolicy({ name: 'reader' });
		await rejectsWith(app.read('secret/data/other'), 403);
		await rejectsWith(app.read('secret/data/app/one'), 403);
		await rejectsWith(root().getPolicy({ name: 'reader' }), 404);
		await root().addPolicy({ name: 'reader', rules: READER });
	}],
	['tokenRenew (by value) and tokenRenewSelf set the TTL asked',
	 async () => {
		const v = root();
		const r = await v.tokenRenew({ token: state.app.client_token,
					       increment: '30m' });
		assert.strictEqual(r.auth.lease_duration, 1800);
		assert.strictEqual(r.auth.client_token, state.app.client_token);
		assert.strictEqual(v.token, state.app.client_token,
				   'node-vault switched to the renewed token');
		const self = await as(state.app.client_token).tokenRenewSelf({
			increment: 600 });
		assert.strictEqual(self.auth.lease_duration, 600);
		await rejectsWith(as(rootToken).tokenRenewSelf(), 400);
	}],
	['tokenRevoke of a parent takes its whole tree', async () => {
		const parent = as(state.app.client_token);
		const kid = (await parent.tokenCreate({ policies: ['reader'] }))
			.auth;
		const grandkid = (await as(kid.client_token).tokenCreate({
			policies: ['reader'] }).catch(() => null));
		assert.strictEqual(grandkid, null,
				   'reader alone may not create tokens');
		assert.ok(await alive(kid.client_token));
		const body = await root().tokenRevoke({
			token: state.app.client_token });
		assert.strictEqual(body, '');
		assert.strictEqual(await alive(state.app.client_token), false);
		assert.strictEqual(await alive(kid.client_token), false);
		await rejectsWith(as(kid.client_token).read(
			'secret/data/app/one'), 403, 'permission denied');
	}],
	['tokenRevokeAccessor and tokenRevokeSelf', async () => {
		const a = (await root().tokenCreate({ policies: ['reader'] }))
			.auth;
		await root().tokenRevokeAccessor({ accessor: a.accessor });
		assert.strictEqual(await alive(a.client_token), false);
		const b = (await root().tokenCreate({ policies: ['reader'] }))
			.auth;
		await as(b.client_token).tokenRevokeSelf();
		assert.strictEqual(await alive(b.client_token), false);
		const acc = await root().tokenAccessors();
		assert.ok(!acc.data.keys.includes(a.accessor));
		assert.ok(!acc.data.keys.includes(b.accessor));
	}],
	['num_uses: a one-use token works once', async () => {
		const t = (await root().tokenCreate({ policies: ['reader'],
						      num_uses: 1 })).auth;
		const app = as(t.client_token);
		await app.read('secret/data/app/one');
		await rejectsWith(app.read('secret/data/app/one'), 403,
				  'permission denied');
	}],
	['a read wrapped with X-Vault-Wrap-TTL, then unwrap() once',
	 async () => {
		const wrapped = await root().read('secret/data/app/one', {
			headers: { 'X-Vault-Wrap-TTL': '5m' } });
		assert.strictEqual(wrapped.data, null);
		assert.strictEqual(wrapped.wrap_info.ttl, 300);
		assert.strictEqual(wrapped.wrap_info.creation_path,
				   'secret/data/app/one');
		assert.ok(!JSON.stringify(wrapped).includes('"v":"1"'));
		// The usual node-vault way: the wrapping token as the client's.
		const unwrapper = as(wrapped.wrap_info.token);
		const got = await unwrapper.unwrap();
		assert.deepStrictEqual(got.data.data, { v: '1' });
		await rejectsWith(as(wrapped.wrap_info.token).unwrap(), 400);
	}],
	['unwrap({token}) from another client, and a wrapped tokenCreate',
	 async () => {
		const w = await root().tokenCreate({
			policies: ['reader'],
			requestOptions: {
				headers: { 'X-Vault-Wrap-TTL': '60s' } } });
		assert.strictEqual(w.auth, null);
		assert.ok(w.wrap_info.wrapped_accessor);
		const anon = client({ token: '' });
		const got = await anon.unwrap({ token: w.wrap_info.token });
		assert.strictEqual(got.auth.accessor,
				   w.wrap_info.wrapped_accessor);
		const app = as(got.auth.client_token);
		const r = await app.read('secret/data/app/one');
		assert.deepStrictEqual(r.data.data, { v: '1' });
		await rejectsWith(anon.unwrap({ token: w.wrap_info.token }),
				  400);
		await rejectsWith(root().unwrap({ token: 'hvs.not-a-wrap' }),
				  400);
	}],
]);

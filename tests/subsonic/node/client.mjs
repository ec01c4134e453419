// Drives Encore's /rest/ with the npm client `subsonic-api`; run by tests/subsonic/test_node_client.py
// with one JSON argument (server URL, credentials, ids). Exits non-zero on the first failed check.
import assert from "node:assert/strict";
import { SubsonicAPI } from "subsonic-api";

const cfg = JSON.parse(process.argv[2]);

// API key (OpenSubsonic apiKeyAuthentication) over POST (formPost).
const api = new SubsonicAPI({ url: cfg.url, auth: { apiKey: cfg.apiKey }, post: true });
const ping = await api.ping();
assert.equal(ping.status, "ok");
assert.equal(ping.openSubsonic, true);
assert.equal(ping.type, "encore");

const { artists } = await api.getArtists();
assert.deepEqual(artists.index.flatMap((i) => i.artist.map((a) => a.name)), ["Tidal Choir"]);
const { album } = await api.getAlbum({ id: cfg.albumId });
assert.deepEqual(album.song.map((s) => s.id), cfg.trackIds);
const { searchResult3 } = await api.search3({ query: "low" });
assert.deepEqual(searchResult3.song.map((s) => s.id), [cfg.trackIds[0]]);

await api.star({ id: cfg.trackIds[1] });
const { starred2 } = await api.getStarred2();
assert.deepEqual(starred2.song.map((s) => s.id), [cfg.trackIds[1]]);

const created = await api.createPlaylist({ name: "Node mix", songId: cfg.trackIds });
const { playlist } = await api.getPlaylist({ id: created.playlist.id });
assert.deepEqual(playlist.entry.map((s) => s.id), cfg.trackIds);

const audio = await api.stream({ id: cfg.trackIds[1] });
assert.equal(audio.status, 200);
assert.equal(Buffer.from(await audio.arrayBuffer()).length, cfg.trackSize);
await api.scrobble({ id: cfg.trackIds[1], submission: true });

// Token auth (u + t + s) with an app password, over GET.
const legacy = new SubsonicAPI({ url: cfg.url, auth: { username: cfg.username, password: cfg.password } });
assert.equal((await legacy.ping()).status, "ok");
const wrong = new SubsonicAPI({ url: cfg.url, auth: { username: cfg.username, password: "not-it" } });
const refused = await wrong.ping().catch((e) => e);
const code = refused?.error?.code ?? refused?.cause?.error?.code ?? refused?.code;
assert.equal(code, 40, JSON.stringify(refused));

console.log("ok");

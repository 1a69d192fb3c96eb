
test('--no-audio: hello.audio is null, no audio message, nothing written to the ring', { timeout: 120000 }, async () => {
  const quiet = await startServer(['--no-audio', '--no-shadow', '--hang-timeout', '5000']);
  const w = new WebSocket(quiet.wsUrl, 'shadowcast.v1');
  const got = { hello: null, audio: 0, video: 0 };
  try {
    w.on('open', () => w.send(JSON.stringify({ type: 'join', spectate: true, audio: true })));
    w.on('message', (data, isBinary) => {
      if (!isBinary) { const m = JSON.parse(data.toString()); if (m.type === 'hello') got.hello = m; return; }
      if (data.readUInt32LE(0) === AUDIO_MAGIC) got.audio++; else got.video++;
    });
    const end = Date.now() + 60000;
    while (got.video < 30 && Date.now() < end) await sleep(50);
    assert.ok(got.video >= 30, `30 video frames (got ${got.video})`);
    assert.equal(got.hello.audio, null, 'hello says no audio');
    assert.equal(got.audio, 0, 'no audio message');
    const metrics = await quiet.metrics();
    assert.match(metrics, /^shadowcast_audio_ticks_written_total 0$/m, 'the primary wrote nothing to the audio ring');
  } finally {
    w.terminate();
    await quiet.stop();
  }
});

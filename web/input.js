// Keyboard (by KeyboardEvent.code, i.e. physical key position, so every
// layout works) and Gamepad API input, turned into shadowcast.v1 input
// messages: move [x, y] in -127..127 (x right, y down), shoot, block.
const AXIS = 127;
const DEADZONE = 0.15;

const KEYS = {
  KeyW: 'up', ArrowUp: 'up', KeyS: 'down', ArrowDown: 'down',
  KeyA: 'left', ArrowLeft: 'left', KeyD: 'right', ArrowRight: 'right',
  Space: 'shoot', ShiftLeft: 'block', ShiftRight: 'block',
};

export class InputSource {
  // send(fields) is called with {move:[x,y]} / {shoot:true} / {block:bool}.
  constructor(target, send) {
    this.send = send;
    this.held = new Set();
    this.move = [0, 0];
    this.block = false;
    this.padShoot = false;
    this.enabled = false;
    target.addEventListener('keydown', (e) => this.key(e, true));
    target.addEventListener('keyup', (e) => this.key(e, false));
    window.addEventListener('blur', () => { this.held.clear(); this.update(); });
  }

  key(e, down) {
    const what = KEYS[e.code];
    if (!what || e.ctrlKey || e.metaKey || e.altKey) return;
    // typing in a text field (the chat line) is not playing
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    e.preventDefault();
    if (!this.enabled) return;
    if (what === 'shoot') {
      if (down && !e.repeat) this.send({ shoot: true });
      return;
    }
    if (down) this.held.add(what); else this.held.delete(what);
    this.update();
  }

  // A rumble (the server's `haptic` message, docs/protocol.md) on the pad
  // that drives (the first connected one) where it has an actuator; false
  // when there is none.
  rumble(durationMs, strong, weak) {
    if (!navigator.getGamepads) return false;
    for (const pad of navigator.getGamepads()) {
      if (!pad || !pad.connected) continue;
      const act = pad.vibrationActuator;
      if (!act || typeof act.playEffect !== 'function') return false;
      act.playEffect('dual-rumble', { startDelay: 0, duration: durationMs, strongMagnitude: strong, weakMagnitude: weak })
        .catch(() => {}); // not supported by this pad / page not focused: nothing to do
      return true;
    }
    return false;
  }

  // Called every animation frame: polls gamepads, sends changes.
  poll() {
    if (!this.enabled || !navigator.getGamepads) return;
    for (const pad of navigator.getGamepads()) {
      if (!pad || !pad.connected) continue;
      const ax = (v) => (Math.abs(v) < DEADZONE ? 0 : Math.round(Math.max(-1, Math.min(1, v)) * AXIS));
      this.padMove = [ax(pad.axes[0] ?? 0), ax(pad.axes[1] ?? 0)];
      const pressed = (i) => !!(pad.buttons[i] && pad.buttons[i].pressed);
      this.padBlock = pressed(1) || pressed(5);
      const shoot = pressed(0);
      if (shoot && !this.padShoot) this.send({ shoot: true });
      this.padShoot = shoot;
      this.update();
      return; // the first connected pad drives
    }
    this.padMove = null;
    this.padBlock = false;
  }

  update() {
    const h = this.held;
    let move = [((h.has('right') ? 1 : 0) - (h.has('left') ? 1 : 0)) * AXIS,
      ((h.has('down') ? 1 : 0) - (h.has('up') ? 1 : 0)) * AXIS];
    if (this.padMove && (this.padMove[0] || this.padMove[1])) move = this.padMove;
    const block = h.has('block') || !!this.padBlock;
    if (move[0] !== this.move[0] || move[1] !== this.move[1]) {
      this.move = move;
      this.send({ move });
    }
    if (block !== this.block) {
      this.block = block;
      this.send({ block });
    }
  }

  reset() { this.held.clear(); this.move = [0, 0]; this.block = false; }
}

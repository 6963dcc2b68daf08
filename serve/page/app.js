// The page of `gokeras serve` (serve/page.go): pick a model, draw a digit
// or drop an image, and show the model's top classes from POST
// /v1/models/NAME:classify. Plain JavaScript, no libraries; the server's
// Content-Security-Policy allows no inline script or style, so everything
// is set up here.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const pad = $('pad');
  const ink = pad.getContext('2d', { willReadFrequently: true });
  const sent = $('sent');
  const preview = $('preview');
  let models = [];
  let current = null;
  let answers = 0; // answers shown, in #bars's data-count (the tests wait on it)
  let previewURL = '';

  // --- the models ---------------------------------------------------------

  const shapeText = (s) => '(' + s.join(', ') + ')';

  async function loadModels() {
    let body;
    try {
      const res = await fetch('/ui/models', { headers: { Accept: 'application/json' } });
      body = await res.json();
      if (!res.ok) throw new Error(body.error || res.status + ' ' + res.statusText);
    } catch (e) {
      showStatus('Could not list the models: ' + e.message, true);
      return;
    }
    models = body.models;
    const pick = $('model');
    pick.replaceChildren(...models.map((m) => {
      const o = document.createElement('option');
      o.value = m.name;
      o.textContent = m.image ? m.name : m.name + ' (not an image classifier)';
      return o;
    }));
    // The first image classifier, unless the address names one (#model=NAME).
    const wanted = new URLSearchParams(location.hash.slice(1)).get('model');
    const first = models.find((m) => m.name === wanted) || models.find((m) => m.image) || models[0];
    if (first) {
      pick.value = first.name;
      selectModel(first.name);
    }
  }

  function selectModel(name) {
    current = models.find((m) => m.name === name) || null;
    if (!current) return;
    const ins = current.inputs.map((t) => t.name + ' ' + shapeText(t.shape)).join(', ');
    const outs = current.outputs.map((t) => shapeText(t.shape)).join(', ');
    let text = 'input ' + ins + ' → output ' + outs;
    if (current.image) {
      const im = current.image;
      text += ' · ' + im.width + '×' + im.height + (im.channels === 1 ? ' grayscale' : ' RGB');
    }
    $('shape').textContent = text;
    $('summary').textContent = current.summary;
    for (const b of [$('classify'), $('file')]) b.disabled = !current.image;
    clearBars();
    if (current.image) {
      sent.width = current.image.width;
      sent.height = current.image.height;
      paintBlack(sent);
      showStatus('Draw a digit and press “Classify drawing”, or drop an image.');
    } else {
      showStatus(current.not_image, true);
    }
  }

  // --- drawing ------------------------------------------------------------

  function paintBlack(c) {
    const g = c.getContext('2d');
    g.fillStyle = '#000';
    g.fillRect(0, 0, c.width, c.height);
  }

  // The pen is about 1.6 input pixels wide when a drawing fills the pad, as
  // strokes are in digit data sets, within limits that keep it usable.
  function penWidth() {
    const h = current && current.image ? current.image.height : 28;
    return pad.width * Math.min(1 / 5, Math.max(1 / 14, 1.6 / h));
  }

  let drawing = false;
  let last = null;
  let drawn = false;

  function at(e) {
    const r = pad.getBoundingClientRect();
    return { x: (e.clientX - r.left) * pad.width / r.width, y: (e.clientY - r.top) * pad.height / r.height };
  }

  function line(a, b) {
    ink.strokeStyle = '#fff';
    ink.lineWidth = penWidth();
    ink.lineCap = 'round';
    ink.lineJoin = 'round';
    ink.beginPath();
    ink.moveTo(a.x, a.y);
    ink.lineTo(b.x, b.y);
    ink.stroke();
    drawn = true;
  }

  pad.addEventListener('pointerdown', (e) => {
    drawing = true;
    pad.setPointerCapture(e.pointerId);
    last = at(e);
    line(last, last);
    e.preventDefault();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const p = at(e);
    line(last, p);
    last = p;
  });
  for (const t of ['pointerup', 'pointercancel']) pad.addEventListener(t, () => { drawing = false; });

  function clearPad() {
    paintBlack(pad);
    drawn = false;
  }

  // inkBox is the bounding box of the drawing's ink, null for none.
  function inkBox() {
    const { data, width, height } = ink.getImageData(0, 0, pad.width, pad.height);
    let x0 = width, y0 = height, x1 = -1, y1 = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (data[(y * width + x) * 4] > 16) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
  }

  // modelInput draws the pad at the model's input size into #sent. With
  // "fit to frame" the ink is cropped and centred first: scikit-learn's 8×8
  // digits fill their frame, MNIST's 28×28 digits sit in a 20×20 box. The
  // browser shrinks the drawing in halving steps (each averages about 2×2
  // pixels), because the server's resize, bilinear without antialiasing as
  // TensorFlow's, would read only a few of the pad's pixels per input pixel.
  function modelInput() {
    const w = current.image.width, h = current.image.height;
    let region = { x: 0, y: 0, w: pad.width, h: pad.height };
    const box = $('fit').checked ? inkBox() : null;
    if (box) {
      const margin = h >= 20 ? 4 / 28 : 0;
      const rh = Math.max(box.h, box.w * h / w) / (1 - 2 * margin);
      const rw = rh * w / h;
      region = { x: box.x + box.w / 2 - rw / 2, y: box.y + box.h / 2 - rh / 2, w: rw, h: rh };
    }
    let c = document.createElement('canvas');
    c.width = Math.max(w, Math.round(region.w));
    c.height = Math.max(h, Math.round(region.h));
    paintBlack(c);
    c.getContext('2d').drawImage(pad, region.x, region.y, region.w, region.h, 0, 0, c.width, c.height);
    while (c.width >= 2 * w && c.height >= 2 * h) {
      const half = document.createElement('canvas');
      half.width = Math.ceil(c.width / 2);
      half.height = Math.ceil(c.height / 2);
      scaleInto(half, c);
      c = half;
    }
    scaleInto(sent, c);
  }

  function scaleInto(dst, src) {
    const g = dst.getContext('2d');
    paintBlack(dst);
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'high';
    g.drawImage(src, 0, 0, dst.width, dst.height);
  }

  // --- classifying --------------------------------------------------------

  function showStatus(text, isError) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('error', !!isError);
  }

  function clearBars() {
    $('bars').replaceChildren();
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function showBars(classes) {
    const rows = classes.map((c) => {
      const li = el('li', 'bar');
      li.dataset.index = String(c.index);
      li.dataset.label = c.label;
      li.dataset.probability = String(c.probability);
      const fill = el('div', 'fill');
      // CSSOM, which the Content-Security-Policy allows (a style attribute
      // would not be).
      fill.style.width = (100 * c.probability).toFixed(2) + '%';
      const track = el('div', 'track');
      track.append(fill);
      li.append(el('span', 'name', c.label), track, el('span', 'prob', (100 * c.probability).toFixed(1) + ' %'));
      return li;
    });
    $('bars').replaceChildren(...rows);
  }

  function answered() {
    $('bars').dataset.count = String(++answers);
  }

  async function classify(body, type, what) {
    if (!current || !current.image) return;
    const out = current.outputs[0].shape[0];
    const k = Math.min(5, out === 1 ? 2 : out);
    showStatus('Classifying ' + what + '…');
    try {
      const res = await fetch('/v1/models/' + encodeURIComponent(current.name) + ':classify?k=' + k, {
        method: 'POST', headers: { 'Content-Type': type }, body,
      });
      const ans = await res.json().catch(() => ({ error: res.status + ' ' + res.statusText }));
      if (!res.ok) throw new Error(ans.error || res.status + ' ' + res.statusText);
      showBars(ans.classes);
      const top = ans.classes[0];
      showStatus(current.name + ' says ' + top.label + ' (' + (100 * top.probability).toFixed(1) + ' %) for ' + what + '.');
    } catch (e) {
      clearBars();
      showStatus('Classifying failed: ' + e.message, true);
    }
    answered();
  }

  function classifyDrawing() {
    if (!drawn) {
      showStatus('Draw something first.', true);
      return;
    }
    modelInput();
    sent.hidden = false;
    preview.hidden = true;
    sent.toBlob((png) => classify(png, 'image/png', 'the drawing'), 'image/png');
  }

  function classifyFile(file) {
    if (!file) return;
    if (file.type !== 'image/png' && file.type !== 'image/jpeg') {
      showStatus(file.name + ' is not a PNG or JPEG image.', true);
      return;
    }
    if (previewURL) URL.revokeObjectURL(previewURL);
    previewURL = URL.createObjectURL(file);
    preview.src = previewURL;
    preview.hidden = false;
    sent.hidden = true;
    classify(file, file.type, file.name);
  }

  // --- wiring -------------------------------------------------------------

  $('model').addEventListener('change', (e) => selectModel(e.target.value));
  $('clear').addEventListener('click', clearPad);
  $('classify').addEventListener('click', classifyDrawing);
  $('file').addEventListener('change', (e) => {
    classifyFile(e.target.files[0]);
    e.target.value = ''; // so that choosing the same file again classifies it again
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  // The drop zone is focusable: Enter or Space opens the file chooser.
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      $('file').click();
    }
  });
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (current && current.image) classifyFile(e.dataTransfer.files[0]);
  });

  clearPad();
  loadModels();
})();

// Small line icons drawn as SVG elements (no markup strings, no inline styles).

const SVG_NS = 'http://www.w3.org/2000/svg';

const SHAPES = {
  mic: [
    ['rect', { x: 9, y: 3, width: 6, height: 11, rx: 3 }],
    ['path', { d: 'M5.5 11a6.5 6.5 0 0 0 13 0' }],
    ['path', { d: 'M12 17.5V21' }],
  ],
  'mic-off': [
    ['path', { d: 'M15 10V6a3 3 0 0 0-5.7-1.3' }],
    ['path', { d: 'M9 9v2a3 3 0 0 0 4.6 2.5' }],
    ['path', { d: 'M5.5 11a6.5 6.5 0 0 0 10.6 5' }],
    ['path', { d: 'M18.5 11c0 .7-.1 1.4-.3 2' }],
    ['path', { d: 'M12 17.5V21' }],
    ['path', { d: 'M4 4l16 16' }],
  ],
  cam: [
    ['rect', { x: 3, y: 6.5, width: 12, height: 11, rx: 2 }],
    ['path', { d: 'M15 10.5l6-3.5v10l-6-3.5z' }],
  ],
  'cam-off': [
    ['path', { d: 'M9 6.5h4a2 2 0 0 1 2 2v4' }],
    ['path', { d: 'M15 15.5a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2' }],
    ['path', { d: 'M17 11.5l4-2.5v10l-2.5-1.5' }],
    ['path', { d: 'M4 4l16 16' }],
  ],
  screen: [
    ['rect', { x: 3, y: 4.5, width: 18, height: 12, rx: 2 }],
    ['path', { d: 'M8.5 20h7' }],
    ['path', { d: 'M12 16.5V20' }],
    ['path', { d: 'M9.5 11l2.5-2.5 2.5 2.5' }],
    ['path', { d: 'M12 8.5V14' }],
  ],
  leave: [
    ['path', { d: 'M14 4h4a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-4' }],
    ['path', { d: 'M9 8l-4 4 4 4' }],
    ['path', { d: 'M5 12h10' }],
  ],
  people: [
    ['circle', { cx: 9, cy: 8, r: 3.25 }],
    ['path', { d: 'M3 20c0-3.3 2.7-6 6-6s6 2.7 6 6' }],
    ['circle', { cx: 17, cy: 9, r: 2.5 }],
    ['path', { d: 'M16.5 14.1c2.6.3 4.5 2.6 4.5 5.4' }],
  ],
  settings: [
    ['path', { d: 'M4 7h10' }], ['path', { d: 'M18 7h2' }], ['circle', { cx: 16, cy: 7, r: 2 }],
    ['path', { d: 'M4 17h2' }], ['path', { d: 'M10 17h10' }], ['circle', { cx: 8, cy: 17, r: 2 }],
  ],
  chat: [
    ['path', { d: 'M4 5.5h16v10H9.5L5 19.5v-4H4z' }],
    ['path', { d: 'M8 9.5h8' }], ['path', { d: 'M8 12.5h5' }],
  ],
  close: [
    ['path', { d: 'M6 6l12 12' }], ['path', { d: 'M18 6L6 18' }],
  ],
  sound: [
    ['path', { d: 'M4 9.5h3.5L12 5.5v13l-4.5-4H4z' }],
    ['path', { d: 'M15.5 9a4.5 4.5 0 0 1 0 6' }],
    ['path', { d: 'M18 6.5a8 8 0 0 1 0 11' }],
  ],
};

export function icon(name, className = 'icon') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '24');
  svg.setAttribute('height', '24');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '1.8');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', className);
  for (const [tag, attrs] of SHAPES[name] || []) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    svg.appendChild(el);
  }
  return svg;
}

// Replaces the icon inside a container (a button or a label span).
export function setIcon(container, name) {
  const old = container.querySelector('svg.icon');
  if (old && old.dataset.name === name) return;
  const svg = icon(name);
  svg.dataset.name = name;
  if (old) old.replaceWith(svg); else container.prepend(svg);
}

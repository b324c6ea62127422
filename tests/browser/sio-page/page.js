// page.js - the runner page's behaviour: only the documented events.
/* global io */
const $ = (id) => document.getElementById(id);
const server = new URLSearchParams(location.search).get('server');
const socket = io(server);
const status = (state, text) => { $('status').dataset.state = state; $('status').textContent = text; };

socket.on('connect', () => { $('conn').textContent = 'connected'; });
socket.on('connect_error', (e) => { $('conn').textContent = `error: ${e.message}`; });
socket.on('disconnect', (reason) => { $('conn').textContent = `disconnected: ${reason}`; });
socket.on('connected', ({ sid, languages }) => {
  $('conn').dataset.sid = sid;
  $('langs').textContent = languages.length;
  $('language').replaceChildren(...languages.map((l) => new Option(l, l, l === 'python', l === 'python')));
});
socket.on('started', ({ run, language }) => status('running', `running ${language} (${run.slice(0, 8)})`));
socket.on('output', ({ data, stream }) => {
  const span = document.createElement('span');
  span.className = stream;
  span.textContent = data;
  $('out').append(span);
});
socket.on('input_request', ({ prompt }) => { $('prompt').textContent = `waiting: ${prompt}`; status('waiting', 'waiting for input'); });
socket.on('exit', ({ code, signal, status: st, wall_ms: wall }) => {
  $('prompt').textContent = '';
  status(st, `${st}: code ${code}, signal ${signal}, ${wall} ms`);
});
socket.on('error', ({ message }) => status('error', message));

$('run').onclick = () => {
  $('out').textContent = '';
  socket.emit('start_interactive', { code: $('code').value, language: $('language').value });
};
$('stop').onclick = () => socket.emit('stop');
$('send').onclick = () => {
  socket.emit('send_input', { input: $('input').value });
  $('input').value = '';
  status('running', 'running');
};

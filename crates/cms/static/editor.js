// Progressive enhancement of the article editor: the plain textarea works without JavaScript; with
// it, Jodit (MIT, vendored) offers rich editing and cleans Word/WPS pastes in the browser. Pasted
// images become data URIs that the server stores as files. The server-side sanitiser remains the
// security boundary either way.
(function () {
  if (!window.Jodit) return;
  // The cover choices follow the images in the editor as the editor inserts or removes them (the
  // server renders the same list from the saved body when scripts are off).
  function coverChoices(html) {
    var box = document.getElementById('cover-choices');
    if (!box) return;
    var list = box.querySelector('.cover-list');
    var checked = list.querySelector('input:checked');
    var picked = checked && checked.value ? checked.parentNode.querySelector('img').getAttribute('src') : '';
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var seen = [];
    doc.querySelectorAll('img[src]').forEach(function (img) {
      var src = img.getAttribute('src');
      if (src && seen.indexOf(src) < 0) seen.push(src);
    });
    list.querySelectorAll('label').forEach(function (l, i) { if (i > 0) l.remove(); });
    seen.forEach(function (src, i) {
      var label = document.createElement('label');
      var radio = document.createElement('input');
      // The value is the image's place in the body: a pasted image has no address until the
      // server stores it on saving.
      radio.type = 'radio'; radio.name = 'cover_pick'; radio.value = String(i + 1); radio.checked = src === picked;
      var img = document.createElement('img');
      img.src = src; img.width = 96; img.height = 72; img.alt = '正文第' + (i + 1) + '张图片';
      label.append(radio, ' ', img);
      list.append(label);
    });
    if (!list.querySelector('input:checked')) list.querySelector('input').checked = true;
    box.hidden = seen.length === 0;
  }
  document.querySelectorAll('textarea.rich').forEach(function (el) {
    var editor = Jodit.make(el, {
      language: (document.documentElement.lang || 'zh-CN').toLowerCase().indexOf('en') === 0 ? 'en' : 'zh_cn',
      height: 480,
      askBeforePasteFromWord: false,
      askBeforePasteHTML: false,
      defaultActionOnPasteFromWord: 'insert_clear_html',
      toolbarAdaptive: false,
      uploader: { insertImageAsBase64URI: true },
      // The source view must not fetch Ace or js-beautify from a CDN: the CSP forbids it and an
      // intranet deployment has no Internet. A plain textarea is enough for reviewing markup.
      sourceEditor: 'area',
      beautifyHTML: false,
      sourceEditorCDNUrlsJS: [],
      beautifyHTMLCDNUrlsJS: [],
      buttons: 'bold,italic,underline,|,ul,ol,|,paragraph,|,image,table,link,|,align,|,undo,redo,|,hr,eraser,source,fullsize'
    });
    editor.events.on('change', coverChoices);
  });
})();

// Progressive enhancement of the article editor: the plain textarea works without JavaScript; with
// it, Jodit (MIT, vendored) offers rich editing and cleans Word/WPS pastes in the browser. Pasted
// images become data URIs that the server stores as files. The server-side sanitiser remains the
// security boundary either way.
(function () {
  if (!window.Jodit) return;
  document.querySelectorAll('textarea.rich').forEach(function (el) {
    Jodit.make(el, {
      language: (document.documentElement.lang || 'zh-CN').toLowerCase().indexOf('en') === 0 ? 'en' : 'zh_cn',
      height: 480,
      askBeforePasteFromWord: false,
      askBeforePasteHTML: false,
      defaultActionOnPasteFromWord: 'insert_clear_html',
      toolbarAdaptive: false,
      uploader: { insertImageAsBase64URI: true },
      buttons: 'bold,italic,underline,|,ul,ol,|,paragraph,|,image,table,link,|,align,|,undo,redo,|,hr,eraser,source,fullsize'
    });
  });
})();

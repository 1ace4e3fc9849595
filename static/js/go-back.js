// "Go back" on the error pages: the browser's own back when this tab has a page to
// go back to, else the link's href (the previous page of this site as the server
// saw it, or Today).
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-go-back]");
  if (!link || window.history.length < 2) {
    return;
  }
  event.preventDefault();
  window.history.back();
});

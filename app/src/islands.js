// Hydrates the Leptos islands of a clinician's page (a page rendered with `IslandScripts`):
// loads the bundle, waits for the whole document (the record page streams in by source),
// then hydrates each `<leptos-island>` in document order, as Leptos's own island script does,
// and marks the app root hydrated.
((js, wasm, appRoot) => {
	const whole = new Promise((done) => {
		if (document.readyState === "loading") {
			document.addEventListener("DOMContentLoaded", done, { once: true });
		} else {
			done();
		}
	});
	const parents = [];
	async function visit(node, mod) {
		if (node.nodeType !== Node.ELEMENT_NODE) return;
		const tag = node.tagName.toLowerCase();
		if (tag === "leptos-island") {
			const hydrate = mod[node.dataset.component];
			if (hydrate) {
				const parent = parents[parents.length - 1];
				if (parent) parent();
				await hydrate(node);
			} else {
				console.warn(`No island named ${node.dataset.component} in the bundle.`);
			}
		}
		const children = tag === "leptos-children";
		if (children) parents.push(node.$$on_hydrate);
		for (const child of node.children) await visit(child, mod);
		if (children) parents.pop();
	}
	import(js).then(async (mod) => {
		await mod.default({ module_or_path: wasm });
		await whole;
		mod.hydrate();
		await visit(document.body, mod);
		document.querySelector(`[data-testid="${appRoot}"]`)?.setAttribute("data-hydrated", "true");
	});
})

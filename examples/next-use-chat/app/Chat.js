"use client";
// The browser half: the profile and the models live here; each request carries only the selection, as data.
import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport } from "ai";
import { useEffect, useMemo, useState } from "react";
import { discreetRequest } from "discreet/ai-sdk";

function useDiscreet() {
  const [d, setD] = useState(null);
  useEffect(() => {
    let store;
    (async () => {
      const { default: init, Discreet, RelevanceModel } = await import("discreet");
      await init();
      store = await Discreet.open({ user: "example" });
      store.useModel(await RelevanceModel.load());
      setD(store);
    })();
    return () => store?.close();
  }, []);
  return d;
}

export default function Chat() {
  const d = useDiscreet();
  if (!d) return <p id="status">loading the on-device models...</p>;
  return <ChatBox d={d} />;
}

// Rendered once the store is open: useChat keeps the transport it was first given.
function ChatBox({ d }) {
  const [fact, setFact] = useState("The user is vegetarian.");
  const [input, setInput] = useState("Plan a week of dinners for me.");
  const [disclosed, setDisclosed] = useState(null);
  const transport = useMemo(() => {
    const prepare = discreetRequest({ discreet: d, select: { maxAttributes: 3 } });
    return new DefaultChatTransport({
      api: "/api/chat",
      prepareSendMessagesRequest: async (options) => {
        const prepared = await prepare(options);
        setDisclosed(prepared.body.discreet.attributes.map((a) => a.text));
        return prepared;
      },
    });
  }, [d]);
  const { messages, sendMessage, status } = useChat({ transport });
  return (
    <div>
      <p id="status">ready ({status})</p>
      <p>
        <input id="fact" value={fact} onChange={(e) => setFact(e.target.value)} size={40} />
        <button id="add" onClick={async () => { await d.add({ text: fact }); setFact(""); }}>Remember</button>
      </p>
      <form onSubmit={(e) => { e.preventDefault(); sendMessage({ text: input }); }}>
        <input id="prompt" value={input} onChange={(e) => setInput(e.target.value)} size={60} />
        <button id="send">Send</button>
      </form>
      <ol id="messages">
        {messages.map((m) => <li key={m.id} className={m.role}>{m.parts.map((p) => (p.type === "text" ? p.text : "")).join("")}</li>)}
      </ol>
      <p>Left the device for the last turn:</p>
      <ul id="disclosed" data-turns={disclosed === null ? 0 : 1}>{(disclosed ?? []).map((t) => <li key={t}>{t}</li>)}</ul>
    </div>
  );
}

"use client";
import { useEffect } from "react";
import { show } from "./turn.js";

export default function Turn() {
  useEffect(() => show(), []);
  return <p>one turn in the browser</p>;
}

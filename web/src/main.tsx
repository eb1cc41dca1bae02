import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { DataProvider } from "./data.tsx";
import { setLocale } from "./i18n/index.ts";
import "./styles.css";

setLocale();
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <DataProvider>
      <App />
    </DataProvider>
  </StrictMode>,
);

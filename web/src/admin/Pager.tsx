import { t } from "../i18n/index.ts";
import { Link } from "../router.tsx";

/** Previous/next links for an offset-paged list; `base` ends with `?` or `&`. */
export function Pager(props: { base: string; page: number; pages: number }) {
  if (props.pages <= 1) return null;
  return (
    <nav className="pager" aria-label={t("list.pages")}>
      {props.page > 1 ? <Link to={`${props.base}page=${props.page - 1}`}>{t("list.previous")}</Link> : null}
      <span>{t("admin.page", { page: props.page, pages: props.pages })}</span>
      {props.page < props.pages ? <Link to={`${props.base}page=${props.page + 1}`}>{t("list.next")}</Link> : null}
    </nav>
  );
}

import { useSubscription } from "urql";
import { persisted } from "../api/persisted";
import { CatalogUpdatedDocument } from "../gql/graphql";
import { applyCatalog, type Product } from "../live/reducers";

/** A store's catalog, kept current by `catalogUpdated` (prices change without a reload). */
export function useLiveCatalog(storeId: string) {
  const [result] = useSubscription(
    { query: persisted(CatalogUpdatedDocument), variables: { storeId } },
    (previous: Product[] | undefined, data) => applyCatalog(previous, data.catalogUpdated),
  );
  return result;
}

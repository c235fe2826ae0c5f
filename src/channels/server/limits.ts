/** Wire bounds server channels validate against (sv2.md §5.2: extranonce fields are B0_32). */
export const MAX_EXTRANONCE_BYTES = 32;

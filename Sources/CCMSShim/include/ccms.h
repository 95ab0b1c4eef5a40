#ifndef CCMS_H
#define CCMS_H
/// Placeholder: the CMS shim (filled in by the signatures work).
int ccms_version(void);
#endif

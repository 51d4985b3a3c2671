/*
 * test-keys.h: RSA keys for the unit tests, so that they do not spend
 * their time (much more of it under valgrind) making new ones.  Test data
 * only: these keys protect nothing.
 */
#ifndef GW_TEST_KEYS_H
#define GW_TEST_KEYS_H

static const char TEST_RSA_KEY_A[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCMmO/XgJ3X8A0j\n"
    "AcBpuw1W4oSj6V2l8otYreRl/sO9TwZaNY668V5Ul13K600YeJ1dzEnmRvA6NyVO\n"
    "0o97HHmCLF/iOdkMxaY5EorIhvLCXV9DRyhr2b9iY5Hl/dK5v8d2WtpZRhvICdpT\n"
    "PUEAc2jbW5dXPHlKAm+bZNK3EGJEEmbeM8ypAQUYMTnY/CZwOblfMrKA7Pct1yqc\n"
    "u+LCgWzGolRS8Dhd9pTyKkR8AXaEAc8abtNk7QSzOwg1K1nmlt/0N7oS6uewF4sl\n"
    "K7RvZV2wG7lM+jC5mOZtsQA5eoy1uM/z2ViVUUeckQMPG0O1QZaU5on+jJEwFzvB\n"
    "kbnBvuNlAgMBAAECggEAFpSbdIt6DkvF+FjYK8L4bftcXSzmNvhAzAHFnGHx0u4l\n"
    "sYhHf5uzUDetPyFSVPtOHtnoBn1fKKJhsgqcM6QLmc4BqkYrJ2N5AlKJipIt2+x+\n"
    "F8KOad/jXmxqars8xEtaQBZwWgUqAhMfBt5gGa/vZ8eKg165hhrlDNqBAxi1B4SG\n"
    "IJApt6+icWslA4VLBV5LXSzfCMcE/ezuVRXywNoPzv7vFCI1gFu5QGyFJn9JlmCv\n"
    "D/HpWSefeWozLxkpD2plZvgP/E+0l/fHIws14Wn1RDYJluWzcCK9Vc3a0LmsZZxk\n"
    "zKjv2Eu8mMvNKENm0q0c3YzVQwLLvniqC105RDo8EwKBgQDBUF3LFePmlS15S7LX\n"
    "U6pVtfNv0Vzit5iNJHl3KT3d6gkDWlqg5FWrpxwjgCl1de7Oh7le3yb324i8NsSc\n"
    "P7Z1zNvk2yAvd+XWJkM5KVYFmsceR1YpTzeB/pH7hQhUJNjt6yfSjsClYDmzCf5L\n"
    "VexujdxGCs+UQjaYIOIHfftoRwKBgQC6MGV5YDMRCUHV3bL/rzzcB+b0bS/keeUO\n"
    "P/vkCIqAR4MSdk8wT+xXy8vmBu+hemW11Cv7EdHa9RwLxtd+RGX7k9wI3lfvTeqv\n"
    "P3lq4LC0BzEsZUFSlhg+tbLbJiOcEm4emBoI2O9k99QrjDhE+OcP9QAm8JyJUh9U\n"
    "FQ9dAWnY8wKBgBSEny/rBuF2e/kf27+XFcE7Krd3lVBLBFoWwP2w1uwy5voAIRZq\n"
    "pd0uQ4JRHBVniw1IwpgbP1uXZY/0kDG1YXxnXf+Qcn4XT8HHFeN/S64Um4XPNIn1\n"
    "6oJVrtDvcc7cilnWV8e1dyUWbYlfSipc2FdznymgBCBMVtcWxmbdLE4JAoGBAKM0\n"
    "nw5o8/p/+dSlNC2KBzf8OUeSmkOVUeJO1dcKYZWWmd9KE5oOxOYkv0OQWudaKePb\n"
    "6v12nlRnPMFZ+DU3cYm4D0060Sv0Sb56Tk0QTfRQxZrb2wmwheoaTYBqCxbY1Ow+\n"
    "ebu9pQMFdlcB36Ud5TUIlqyLhzub39hNaZ0mCwlfAoGAUhf3HMAJS/XVc57MJa1q\n"
    "i4nd6PQmmnmAwWPf/zBX5xuDND+i21T674cQi8GSJj/QB4sGwYE+fQqfYxj2aDoK\n"
    "uV5gcJ2Dbq534c/G6HzmMGOft05TFgjBp+xHV+BHjrrQxQcSWQ4Y022dUnLSeaha\n"
    "bk+jPKK6iWRXlB2zWnG16Tk=\n"
    "-----END PRIVATE KEY-----\n";

static const char TEST_RSA_KEY_B[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC2JbTYWEpRc4sX\n"
    "xWjrXLJNHSdmJoQ/lhuRyzGmXAuMdCXnVB/3LZNmlpjTBxIh4fUpJGN3LUy9hQMg\n"
    "4QnnZw6EYrxCUkVMYbmbtyWA60rtp52bhu8gMnsuE93fBhFkdQMlVfHzUBIrwGgS\n"
    "O42TSyBWYtunSl/jrIV7aeOfhIeacMkxE5xFZ5cbaoJ8FzgsxNcy4RNEn+Voxux+\n"
    "VvR6X/6gPhE9aZWtdzNX4UVX4vB7rmBfiX8/fJQ2BdCPjdoceI6S4uMFHsviFl63\n"
    "S76DXl98P25IQ+XJy34cW5m4KGFKbj2g40bMjeJ72jJq+pYdu/KtvlIb3rC/DtSs\n"
    "ViXkrXwbAgMBAAECggEACZ2tpvA+TX+CkSjdqZ3qrHyEscqzF6JGkVNUqy+Cd+dC\n"
    "gFcQxZ1VLJ4jB50AyDjOwbMclymVOrofbf3DZpZ/uIh334PKtHDCT5Ct0lkESyNF\n"
    "WZ/C1wR4kU2rhxR3GEJp00TuxtrBeCgqYQVeK4T/T4rc2r+SlrPrFhat1XmLKSGC\n"
    "liRxTREGEx7hnnN3BI8nPMjZmEsgjfMpSWqrkdsz8QlGlhGzx3f8wosR08CCmW3i\n"
    "cdJiLy9chlkWoiJZIrBVhegWk/nltO0+G9bFJl3uGR/MLtIjtsFU0+QtXrf3stGo\n"
    "O04sKkmoW2SGw5PYUEUQ/LcOKEDwESHh8+6TKF+7oQKBgQDurvv7jRL8E+A5OMGq\n"
    "20W92VgTbVyLleeWkIep1rLVjeIViFXxiyCBK5ZGdECSJ2o/6Q3ONSk54YVzsh4+\n"
    "XQAMxHxT62lBLRKDcFhiwyXD70PuMfrEhrf3KpH9MJhUL+6RYO8meB2gE8OgRgBV\n"
    "6pgSnZW0gloxPFKVf+Pk7gSmoQKBgQDDXK/rfQB6gvl0KodAljwW8xld38SgS5+s\n"
    "Nc6gazZxYZay/BNLdFOlON8y6zSvsz+V7BTd7HqQv39wca4pN8iy3quuVSa2Hc3H\n"
    "MdKRhUSrwD3vTPRIf3Z17BPUrCnsdtOmaD/VqZqlZ3fFvwVVPfOs09b2aqL4rgMW\n"
    "erpQukP1OwKBgQCAgM1BfY5/EORjal86cZt2vxFgRDzTGf35Xg7sLZ9SwnS6SxCa\n"
    "XuE9Kg5aGDS7e2UEy6CXKJ/tfbGvvHHz+XYRaafWNqQQZwfUpCOx6IbommTkVRxB\n"
    "upZJCC5ZNlSM3tF+i8W13G12xa1JGOcNWqRNQXJcIOIWJ/f+bUBw/IScgQKBgQCK\n"
    "j2iuawA15EMtIyS+qE+CL3VkYVtCHaDoMVmV6bS5ge+yjprYv268FrQnly7NFyMY\n"
    "IFNEe38KvueSRu6xiUEtrESz5u0H6eeTSkEAuTbVYgoLedcgvFa2mHQQOPObJURE\n"
    "GFh+IEbw3YvTkwIjTUdQ4wbpywQ/wJusC+utag7dFQKBgEbbAVygm1xuji/zs1/m\n"
    "exjDvO6qNxnTStKQdMOMZYlJjhxyj9i9IV9DDmvod9+e8nu6kXWi0mcDfnq/jx5l\n"
    "1uP0rhjv7+OIRl3zYUWprB0QDxzPOmVIhcML6N1nmwf3+lVd7olYXlkN7Ihr8bm3\n"
    "gT7VRZRfz4SWW4J3kBvJ20Va\n"
    "-----END PRIVATE KEY-----\n";

#endif /* GW_TEST_KEYS_H */

--
-- PostgreSQL database dump
--

\restrict 1ObpJp1Pcb1LfP5tZc5kEPzcMZqNdTAhIrr9RtPohOxaz5ZIPVPHGTGovJ7R8We


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: activation_batch; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_batch (
    id bigint NOT NULL,
    batch_id text NOT NULL,
    participant_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    body_hash bytea NOT NULL,
    item_count integer NOT NULL,
    received_at bigint NOT NULL,
    results bytea NOT NULL
);


--
-- Name: activation_batch_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.activation_batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: activation_batch_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.activation_batch_id_seq OWNED BY public.activation_batch.id;


--
-- Name: activation_sequence; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_sequence (
    id integer NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT activation_sequence_id_check CHECK ((id = 1))
);


--
-- Name: api_token; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_token (
    id text NOT NULL,
    hash bytea NOT NULL,
    participant_bin text NOT NULL,
    role text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    revoked_at bigint,
    CONSTRAINT api_token_role_check CHECK ((role = ANY (ARRAY['producer'::text, 'importer'::text, 'banknote-factory'::text, 'revenue-body'::text, 'registrar'::text])))
);


--
-- Name: code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code (
    id bigint NOT NULL,
    code text NOT NULL,
    series text NOT NULL,
    number bigint NOT NULL,
    owner_bin text NOT NULL,
    waybill_id bigint NOT NULL,
    status text NOT NULL,
    product_code text,
    activated_at bigint,
    activation_batch bigint,
    written_off_at bigint,
    write_off_reason text,
    activation_seq bigint,
    CONSTRAINT code_status_check CHECK ((status = ANY (ARRAY['issued'::text, 'activated'::text, 'writtenOff'::text])))
);


--
-- Name: code_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.code_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: code_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.code_id_seq OWNED BY public.code.id;


--
-- Name: monthly_counter; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.monthly_counter (
    participant_bin text NOT NULL,
    month text NOT NULL,
    received bigint DEFAULT 0 NOT NULL,
    activated bigint DEFAULT 0 NOT NULL,
    written_off bigint DEFAULT 0 NOT NULL
);


--
-- Name: schema_migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migration (
    name text NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: waybill; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill (
    id bigint NOT NULL,
    number text NOT NULL,
    body_hash bytea NOT NULL,
    date text NOT NULL,
    issued_on text NOT NULL,
    month text NOT NULL,
    application_number text NOT NULL,
    application_date text NOT NULL,
    recipient_bin text NOT NULL,
    recipient_name text NOT NULL,
    product_name text NOT NULL,
    product_type text NOT NULL,
    capacity_ml integer NOT NULL,
    quantity integer NOT NULL,
    recorded_at bigint NOT NULL,
    CONSTRAINT waybill_quantity_check CHECK ((quantity > 0))
);


--
-- Name: waybill_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.waybill_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: waybill_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.waybill_id_seq OWNED BY public.waybill.id;


--
-- Name: waybill_range; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill_range (
    waybill_id bigint NOT NULL,
    series text NOT NULL,
    first bigint NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT waybill_range_check CHECK ((last >= first))
);


--
-- Name: activation_batch id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch ALTER COLUMN id SET DEFAULT nextval('public.activation_batch_id_seq'::regclass);


--
-- Name: code id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code ALTER COLUMN id SET DEFAULT nextval('public.code_id_seq'::regclass);


--
-- Name: waybill id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill ALTER COLUMN id SET DEFAULT nextval('public.waybill_id_seq'::regclass);


--
-- Data for Name: activation_batch; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_batch (id, batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results) FROM stdin;
1	5c0f0a1e-0000-4000-8000-000000000001	970101123452	line-1	cam-1	\\x772aff220cd77b450d99a111062dd56ec58d21da2666458ddfee043febb4acc0	30	1796398314111	\\x011e000000001500515a413030303030303030303030303030303030310128114141a2010000001500515a413030303030303030303030303030303030320110154141a2010000001500515a4130303030303030303030303030303030303301f8184141a2010000001500515a4130303030303030303030303030303030303401e01c4141a2010000001500515a4130303030303030303030303030303030303501c8204141a2010000001500515a4130303030303030303030303030303030303601b0244141a2010000001500515a413030303030303030303030303030303030370198284141a2010000001500515a4130303030303030303030303030303030303801802c4141a2010000001500515a413030303030303030303030303030303030390168304141a2010000001500515a413030303030303030303030303030303031300150344141a2010000001500515a413030303030303030303030303030303031310138384141a2010000001500515a4130303030303030303030303030303030313201203c4141a2010000001500515a413030303030303030303030303030303031330108404141a2010000001500515a4130303030303030303030303030303030313401f0434141a2010000001500515a4130303030303030303030303030303030313501d8474141a2010000001500515a4130303030303030303030303030303030313601c04b4141a2010000001500515a4130303030303030303030303030303030313701a84f4141a2010000001500515a413030303030303030303030303030303031380190534141a2010000001500515a413030303030303030303030303030303031390178574141a2010000001500515a4130303030303030303030303030303030323001605b4141a2010000001500515a4130303030303030303030303030303030323101485f4141a2010000001500515a413030303030303030303030303030303032320130634141a2010000001500515a413030303030303030303030303030303032330118674141a2010000001500515a4130303030303030303030303030303030323401006b4141a2010000001500515a4130303030303030303030303030303030323501e86e4141a2010000001500515a4130303030303030303030303030303030323601d0724141a2010000001500515a4130303030303030303030303030303030323701b8764141a2010000001500515a4130303030303030303030303030303030323801a07a4141a2010000001500515a4130303030303030303030303030303030323901887e4141a2010000001500515a413030303030303030303030303030303033300170824141a2010000
2	5c0f0a1e-0000-4000-8000-000000000002	970101123452	line-1	cam-1	\\xc0138a96030655026fe7a4f6757a352551a524eae23bd031c8a7709424a21886	10	1796398314161	\\x010a000000001500515a4130303030303030303030303030303030333101a8ff7741a2010000001500515a413030303030303030303030303030303033320190037841a2010000001500515a413030303030303030303030303030303033330178077841a2010000001500515a4130303030303030303030303030303030333401600b7841a2010000001500515a4130303030303030303030303030303030333501480f7841a2010000001500515a413030303030303030303030303030303033360130137841a2010000001500515a413030303030303030303030303030303033370118177841a2010000001500515a4130303030303030303030303030303030333801001b7841a2010000001500515a4130303030303030303030303030303030333901e81e7841a2010000001500515a4130303030303030303030303030303030343001d0227841a2010000
3	5c0f0a1e-0000-4000-8000-000000000003	980202543215	line-1	cam-1	\\x377e9e30d57c57f74626f42ce7111821d83f18ef0a975f953bb6dee64e290c2e	4	1796398314189	\\x0104000000001500515a4230303030303030303030303030303030303101e8769341a2010000001500515a4230303030303030303030303030303030303201d07a9341a2010000001500515a4230303030303030303030303030303030303301b87e9341a2010000001500515a4230303030303030303030303030303030303401a0829341a2010000
\.


--
-- Data for Name: activation_sequence; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_sequence (id, last) FROM stdin;
1	44
\.


--
-- Data for Name: api_token; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_token (id, hash, participant_bin, role, created_at, expires_at, revoked_at) FROM stdin;
c3c3e22c	\\x4d1348757248e626255a8a16914e9d98fa334ba37018b33449a37660062d883b	990303000012	banknote-factory	1796398311483	\N	\N
41bb0430	\\xd3abbe4230f56979697c0a4bb1063c630ed249008a97b4b6d55e378c4836d9b7	970101123452	producer	1796398311595	\N	\N
92ff0eed	\\xf4e9b49249bdf80f7c8442586f9624056292519ee782db6377afed45131be909	980202543215	producer	1796398311784	\N	\N
5067f610	\\x429e3da317200830ea506e581494db0680f15d6f4fdf83448a50b458214ba92f	990404000021	revenue-body	1796398311975	\N	\N
631d762a	\\xd2049a3a241bb35aa8e5dfeee4890d981a9dc7f9310bda4656a7e63d156ee595	990404000021	registrar	1796398312192	\N	\N
\.


--
-- Data for Name: code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code (id, code, series, number, owner_bin, waybill_id, status, product_code, activated_at, activation_batch, written_off_at, write_off_reason, activation_seq) FROM stdin;
43	QZA000000000000000043	AB	43	970101123452	1	issued	\N	\N	\N	\N	\N	\N
44	QZA000000000000000044	AB	44	970101123452	1	issued	\N	\N	\N	\N	\N	\N
45	QZA000000000000000045	AB	45	970101123452	1	issued	\N	\N	\N	\N	\N	\N
46	QZA000000000000000046	AB	46	970101123452	1	issued	\N	\N	\N	\N	\N	\N
47	QZA000000000000000047	AB	47	970101123452	1	issued	\N	\N	\N	\N	\N	\N
48	QZA000000000000000048	AB	48	970101123452	1	issued	\N	\N	\N	\N	\N	\N
49	QZA000000000000000049	AB	49	970101123452	1	issued	\N	\N	\N	\N	\N	\N
50	QZA000000000000000050	AB	50	970101123452	1	issued	\N	\N	\N	\N	\N	\N
51	QZA000000000000000051	AB	51	970101123452	1	issued	\N	\N	\N	\N	\N	\N
52	QZA000000000000000052	AB	52	970101123452	1	issued	\N	\N	\N	\N	\N	\N
53	QZA000000000000000053	AB	53	970101123452	1	issued	\N	\N	\N	\N	\N	\N
54	QZA000000000000000054	AB	54	970101123452	1	issued	\N	\N	\N	\N	\N	\N
55	QZA000000000000000055	AB	55	970101123452	1	issued	\N	\N	\N	\N	\N	\N
56	QZA000000000000000056	AB	56	970101123452	1	issued	\N	\N	\N	\N	\N	\N
57	QZA000000000000000057	AB	57	970101123452	1	issued	\N	\N	\N	\N	\N	\N
58	QZA000000000000000058	AB	58	970101123452	1	issued	\N	\N	\N	\N	\N	\N
59	QZA000000000000000059	AB	59	970101123452	1	issued	\N	\N	\N	\N	\N	\N
60	QZA000000000000000060	AB	60	970101123452	1	issued	\N	\N	\N	\N	\N	\N
65	QZB000000000000000005	AC	5	980202543215	2	issued	\N	\N	\N	\N	\N	\N
66	QZB000000000000000006	AC	6	980202543215	2	issued	\N	\N	\N	\N	\N	\N
67	QZB000000000000000007	AC	7	980202543215	2	issued	\N	\N	\N	\N	\N	\N
68	QZB000000000000000008	AC	8	980202543215	2	issued	\N	\N	\N	\N	\N	\N
69	QZB000000000000000009	AC	9	980202543215	2	issued	\N	\N	\N	\N	\N	\N
70	QZB000000000000000010	AC	10	980202543215	2	issued	\N	\N	\N	\N	\N	\N
31	QZA000000000000000031	AB	31	970101123452	1	activated	DSN-0001	1796394713000	2	\N	\N	31
32	QZA000000000000000032	AB	32	970101123452	1	activated	DSN-0001	1796394714000	2	\N	\N	32
33	QZA000000000000000033	AB	33	970101123452	1	activated	DSN-0001	1796394715000	2	\N	\N	33
34	QZA000000000000000034	AB	34	970101123452	1	activated	DSN-0001	1796394716000	2	\N	\N	34
35	QZA000000000000000035	AB	35	970101123452	1	activated	DSN-0001	1796394717000	2	\N	\N	35
36	QZA000000000000000036	AB	36	970101123452	1	activated	DSN-0001	1796394718000	2	\N	\N	36
37	QZA000000000000000037	AB	37	970101123452	1	activated	DSN-0001	1796394719000	2	\N	\N	37
38	QZA000000000000000038	AB	38	970101123452	1	activated	DSN-0001	1796394720000	2	\N	\N	38
39	QZA000000000000000039	AB	39	970101123452	1	activated	DSN-0001	1796394721000	2	\N	\N	39
40	QZA000000000000000040	AB	40	970101123452	1	activated	DSN-0001	1796394722000	2	\N	\N	40
61	QZB000000000000000001	AC	1	980202543215	2	activated	DSN-0001	1796396513000	3	\N	\N	41
62	QZB000000000000000002	AC	2	980202543215	2	activated	DSN-0001	1796396514000	3	\N	\N	42
63	QZB000000000000000003	AC	3	980202543215	2	activated	DSN-0001	1796396515000	3	\N	\N	43
64	QZB000000000000000004	AC	4	980202543215	2	activated	DSN-0001	1796396516000	3	\N	\N	44
41	QZA000000000000000041	AB	41	970101123452	1	writtenOff	\N	\N	\N	1796397713000	damaged	\N
42	QZA000000000000000042	AB	42	970101123452	1	writtenOff	\N	\N	\N	1796397713000	damaged	\N
71	QZB000000000000000011	AC	11	980202543215	2	issued	\N	\N	\N	\N	\N	\N
72	QZB000000000000000012	AC	12	980202543215	2	issued	\N	\N	\N	\N	\N	\N
1	QZA000000000000000001	AB	1	970101123452	1	activated	DSN-0001	1796391113000	1	\N	\N	1
2	QZA000000000000000002	AB	2	970101123452	1	activated	DSN-0001	1796391114000	1	\N	\N	2
3	QZA000000000000000003	AB	3	970101123452	1	activated	DSN-0001	1796391115000	1	\N	\N	3
4	QZA000000000000000004	AB	4	970101123452	1	activated	DSN-0001	1796391116000	1	\N	\N	4
5	QZA000000000000000005	AB	5	970101123452	1	activated	DSN-0001	1796391117000	1	\N	\N	5
6	QZA000000000000000006	AB	6	970101123452	1	activated	DSN-0001	1796391118000	1	\N	\N	6
7	QZA000000000000000007	AB	7	970101123452	1	activated	DSN-0001	1796391119000	1	\N	\N	7
8	QZA000000000000000008	AB	8	970101123452	1	activated	DSN-0001	1796391120000	1	\N	\N	8
9	QZA000000000000000009	AB	9	970101123452	1	activated	DSN-0001	1796391121000	1	\N	\N	9
10	QZA000000000000000010	AB	10	970101123452	1	activated	DSN-0001	1796391122000	1	\N	\N	10
11	QZA000000000000000011	AB	11	970101123452	1	activated	DSN-0001	1796391123000	1	\N	\N	11
12	QZA000000000000000012	AB	12	970101123452	1	activated	DSN-0001	1796391124000	1	\N	\N	12
13	QZA000000000000000013	AB	13	970101123452	1	activated	DSN-0001	1796391125000	1	\N	\N	13
14	QZA000000000000000014	AB	14	970101123452	1	activated	DSN-0001	1796391126000	1	\N	\N	14
15	QZA000000000000000015	AB	15	970101123452	1	activated	DSN-0001	1796391127000	1	\N	\N	15
16	QZA000000000000000016	AB	16	970101123452	1	activated	DSN-0001	1796391128000	1	\N	\N	16
17	QZA000000000000000017	AB	17	970101123452	1	activated	DSN-0001	1796391129000	1	\N	\N	17
18	QZA000000000000000018	AB	18	970101123452	1	activated	DSN-0001	1796391130000	1	\N	\N	18
19	QZA000000000000000019	AB	19	970101123452	1	activated	DSN-0001	1796391131000	1	\N	\N	19
20	QZA000000000000000020	AB	20	970101123452	1	activated	DSN-0001	1796391132000	1	\N	\N	20
21	QZA000000000000000021	AB	21	970101123452	1	activated	DSN-0001	1796391133000	1	\N	\N	21
22	QZA000000000000000022	AB	22	970101123452	1	activated	DSN-0001	1796391134000	1	\N	\N	22
23	QZA000000000000000023	AB	23	970101123452	1	activated	DSN-0001	1796391135000	1	\N	\N	23
24	QZA000000000000000024	AB	24	970101123452	1	activated	DSN-0001	1796391136000	1	\N	\N	24
25	QZA000000000000000025	AB	25	970101123452	1	activated	DSN-0001	1796391137000	1	\N	\N	25
26	QZA000000000000000026	AB	26	970101123452	1	activated	DSN-0001	1796391138000	1	\N	\N	26
27	QZA000000000000000027	AB	27	970101123452	1	activated	DSN-0001	1796391139000	1	\N	\N	27
28	QZA000000000000000028	AB	28	970101123452	1	activated	DSN-0001	1796391140000	1	\N	\N	28
29	QZA000000000000000029	AB	29	970101123452	1	activated	DSN-0001	1796391141000	1	\N	\N	29
30	QZA000000000000000030	AB	30	970101123452	1	activated	DSN-0001	1796391142000	1	\N	\N	30
\.


--
-- Data for Name: monthly_counter; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.monthly_counter (participant_bin, month, received, activated, written_off) FROM stdin;
980202543215	2026-12	12	4	0
970101123452	2026-12	60	40	2
\.


--
-- Data for Name: schema_migration; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migration (name, applied_at) FROM stdin;
v1-registrar	1796398311443
v2-reports	1796398311450
v3-activation-stream	1796398311480
\.


--
-- Data for Name: waybill; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill (id, number, body_hash, date, issued_on, month, application_number, application_date, recipient_bin, recipient_name, product_name, product_type, capacity_ml, quantity, recorded_at) FROM stdin;
1	WB-FIX-1	\\x2328fdf35cf8e4e7367e0a4fb745a71fc0d4b154afc00b33f59579ef1ce893f5	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-1	2026-12-04	970101123452	Fixture Distillery LLP	Vodka Fixture	vodka	500	60	1796398313760
2	WB-FIX-2	\\x009452f1c2afc55156bc7f97a16481ce2be46661f8658a36df8ecb1009900f39	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-2	2026-12-04	980202543215	Fixture Distillery LLP	Vodka Fixture	vodka	500	12	1796398313863
\.


--
-- Data for Name: waybill_range; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill_range (waybill_id, series, first, last) FROM stdin;
1	AB	1	60
2	AC	1	12
\.


--
-- Name: activation_batch_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.activation_batch_id_seq', 3, true);


--
-- Name: code_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.code_id_seq', 72, true);


--
-- Name: waybill_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.waybill_id_seq', 2, true);


--
-- Name: activation_batch activation_batch_batch_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_batch_id_key UNIQUE (batch_id);


--
-- Name: activation_batch activation_batch_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_pkey PRIMARY KEY (id);


--
-- Name: activation_sequence activation_sequence_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_sequence
    ADD CONSTRAINT activation_sequence_pkey PRIMARY KEY (id);


--
-- Name: api_token api_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_hash_key UNIQUE (hash);


--
-- Name: api_token api_token_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (id);


--
-- Name: code code_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_code_key UNIQUE (code);


--
-- Name: code code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_pkey PRIMARY KEY (id);


--
-- Name: code code_series_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_series_number_key UNIQUE (series, number);


--
-- Name: monthly_counter monthly_counter_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monthly_counter
    ADD CONSTRAINT monthly_counter_pkey PRIMARY KEY (participant_bin, month);


--
-- Name: schema_migration schema_migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (name);


--
-- Name: waybill waybill_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_number_key UNIQUE (number);


--
-- Name: waybill waybill_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_pkey PRIMARY KEY (id);


--
-- Name: code_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX code_activation_seq ON public.code USING btree (activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_owner_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_owner_activation_seq ON public.code USING btree (owner_bin, activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_pool; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_pool ON public.code USING btree (owner_bin, status, code COLLATE "C");


--
-- Name: waybill_recipient; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX waybill_recipient ON public.waybill USING btree (recipient_bin, id);


--
-- Name: code code_activation_batch_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_activation_batch_fkey FOREIGN KEY (activation_batch) REFERENCES public.activation_batch(id);


--
-- Name: code code_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- Name: waybill_range waybill_range_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill_range
    ADD CONSTRAINT waybill_range_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- PostgreSQL database dump complete
--

\unrestrict 1ObpJp1Pcb1LfP5tZc5kEPzcMZqNdTAhIrr9RtPohOxaz5ZIPVPHGTGovJ7R8We


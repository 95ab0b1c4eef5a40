--
-- PostgreSQL database dump
--

\restrict W4DnREpAVy1uAYIVUi4yrhY0v9WVYjjotbXAiho2aD3I2xdybs7DXfE4CuhS3K2


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
1	5c0f0a1e-0000-4000-8000-000000000001	970101123452	line-1	cam-1	\\xea5da2453c8d6bbd88d6f677b64eaf3f82306d0e2ac1997de43f625bb10cfd41	30	1796397115214	\\x011e000000001500515a413030303030303030303030303030303030310178c92e41a2010000001500515a413030303030303030303030303030303030320160cd2e41a2010000001500515a413030303030303030303030303030303030330148d12e41a2010000001500515a413030303030303030303030303030303030340130d52e41a2010000001500515a413030303030303030303030303030303030350118d92e41a2010000001500515a413030303030303030303030303030303030360100dd2e41a2010000001500515a4130303030303030303030303030303030303701e8e02e41a2010000001500515a4130303030303030303030303030303030303801d0e42e41a2010000001500515a4130303030303030303030303030303030303901b8e82e41a2010000001500515a4130303030303030303030303030303030313001a0ec2e41a2010000001500515a413030303030303030303030303030303031310188f02e41a2010000001500515a413030303030303030303030303030303031320170f42e41a2010000001500515a413030303030303030303030303030303031330158f82e41a2010000001500515a413030303030303030303030303030303031340140fc2e41a2010000001500515a413030303030303030303030303030303031350128002f41a2010000001500515a413030303030303030303030303030303031360110042f41a2010000001500515a4130303030303030303030303030303030313701f8072f41a2010000001500515a4130303030303030303030303030303030313801e00b2f41a2010000001500515a4130303030303030303030303030303030313901c80f2f41a2010000001500515a4130303030303030303030303030303030323001b0132f41a2010000001500515a413030303030303030303030303030303032310198172f41a2010000001500515a4130303030303030303030303030303030323201801b2f41a2010000001500515a4130303030303030303030303030303030323301681f2f41a2010000001500515a413030303030303030303030303030303032340150232f41a2010000001500515a413030303030303030303030303030303032350138272f41a2010000001500515a4130303030303030303030303030303030323601202b2f41a2010000001500515a4130303030303030303030303030303030323701082f2f41a2010000001500515a4130303030303030303030303030303030323801f0322f41a2010000001500515a4130303030303030303030303030303030323901d8362f41a2010000001500515a4130303030303030303030303030303030333001c03a2f41a2010000
2	5c0f0a1e-0000-4000-8000-000000000002	970101123452	line-1	cam-1	\\x1a3818b704bcb3e1321246e8bbb5bd69e10111bb521283e2a96973d3c59dbef8	10	1796397115241	\\x010a000000001500515a4130303030303030303030303030303030333101f8b76541a2010000001500515a4130303030303030303030303030303030333201e0bb6541a2010000001500515a4130303030303030303030303030303030333301c8bf6541a2010000001500515a4130303030303030303030303030303030333401b0c36541a2010000001500515a413030303030303030303030303030303033350198c76541a2010000001500515a413030303030303030303030303030303033360180cb6541a2010000001500515a413030303030303030303030303030303033370168cf6541a2010000001500515a413030303030303030303030303030303033380150d36541a2010000001500515a413030303030303030303030303030303033390138d76541a2010000001500515a413030303030303030303030303030303034300120db6541a2010000
3	5c0f0a1e-0000-4000-8000-000000000003	980202543215	line-1	cam-1	\\x673a4cbd361625e8b88a25dc83c0bfb5c3e5a49ee5c471885b11d1e4fd9ffba5	4	1796397115254	\\x0104000000001500515a4230303030303030303030303030303030303101382f8141a2010000001500515a423030303030303030303030303030303030320120338141a2010000001500515a423030303030303030303030303030303030330108378141a2010000001500515a4230303030303030303030303030303030303401f03a8141a2010000
\.


--
-- Data for Name: api_token; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_token (id, hash, participant_bin, role, created_at, expires_at, revoked_at) FROM stdin;
77b999f9	\\xf39b2cf02452ec90d73a6ff33976c1cd01798d4de531ec5f29864f70ab690439	990303000012	banknote-factory	1796397113854	\N	\N
4ffa3c2d	\\x632f65d66c5c548cff03b30c486d15f850b52d33541cb4b6cfd1aa8df3e579ef	970101123452	producer	1796397113913	\N	\N
8e4e37d5	\\x2f81050e788116cbc62c745243230be539428e74a91c883e9070f785356973cf	980202543215	producer	1796397114011	\N	\N
4f447474	\\xebf7f825a3734f349549f35998703dc50831ed98bcaaa3643d8366cc938f1cd3	990404000021	revenue-body	1796397114156	\N	\N
c4dfc9d9	\\x81287356d37b1dc404699a76a82ae35a1fe0b509d0f2f455816c1fefaae311ef	990404000021	registrar	1796397114299	\N	\N
\.


--
-- Data for Name: code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code (id, code, series, number, owner_bin, waybill_id, status, product_code, activated_at, activation_batch, written_off_at, write_off_reason) FROM stdin;
43	QZA000000000000000043	AB	43	970101123452	1	issued	\N	\N	\N	\N	\N
44	QZA000000000000000044	AB	44	970101123452	1	issued	\N	\N	\N	\N	\N
45	QZA000000000000000045	AB	45	970101123452	1	issued	\N	\N	\N	\N	\N
46	QZA000000000000000046	AB	46	970101123452	1	issued	\N	\N	\N	\N	\N
47	QZA000000000000000047	AB	47	970101123452	1	issued	\N	\N	\N	\N	\N
48	QZA000000000000000048	AB	48	970101123452	1	issued	\N	\N	\N	\N	\N
49	QZA000000000000000049	AB	49	970101123452	1	issued	\N	\N	\N	\N	\N
50	QZA000000000000000050	AB	50	970101123452	1	issued	\N	\N	\N	\N	\N
51	QZA000000000000000051	AB	51	970101123452	1	issued	\N	\N	\N	\N	\N
52	QZA000000000000000052	AB	52	970101123452	1	issued	\N	\N	\N	\N	\N
53	QZA000000000000000053	AB	53	970101123452	1	issued	\N	\N	\N	\N	\N
54	QZA000000000000000054	AB	54	970101123452	1	issued	\N	\N	\N	\N	\N
55	QZA000000000000000055	AB	55	970101123452	1	issued	\N	\N	\N	\N	\N
56	QZA000000000000000056	AB	56	970101123452	1	issued	\N	\N	\N	\N	\N
57	QZA000000000000000057	AB	57	970101123452	1	issued	\N	\N	\N	\N	\N
58	QZA000000000000000058	AB	58	970101123452	1	issued	\N	\N	\N	\N	\N
59	QZA000000000000000059	AB	59	970101123452	1	issued	\N	\N	\N	\N	\N
60	QZA000000000000000060	AB	60	970101123452	1	issued	\N	\N	\N	\N	\N
65	QZB000000000000000005	AC	5	980202543215	2	issued	\N	\N	\N	\N	\N
66	QZB000000000000000006	AC	6	980202543215	2	issued	\N	\N	\N	\N	\N
67	QZB000000000000000007	AC	7	980202543215	2	issued	\N	\N	\N	\N	\N
68	QZB000000000000000008	AC	8	980202543215	2	issued	\N	\N	\N	\N	\N
69	QZB000000000000000009	AC	9	980202543215	2	issued	\N	\N	\N	\N	\N
70	QZB000000000000000010	AC	10	980202543215	2	issued	\N	\N	\N	\N	\N
31	QZA000000000000000031	AB	31	970101123452	1	activated	DSN-0001	1796393515000	2	\N	\N
32	QZA000000000000000032	AB	32	970101123452	1	activated	DSN-0001	1796393516000	2	\N	\N
33	QZA000000000000000033	AB	33	970101123452	1	activated	DSN-0001	1796393517000	2	\N	\N
34	QZA000000000000000034	AB	34	970101123452	1	activated	DSN-0001	1796393518000	2	\N	\N
35	QZA000000000000000035	AB	35	970101123452	1	activated	DSN-0001	1796393519000	2	\N	\N
36	QZA000000000000000036	AB	36	970101123452	1	activated	DSN-0001	1796393520000	2	\N	\N
37	QZA000000000000000037	AB	37	970101123452	1	activated	DSN-0001	1796393521000	2	\N	\N
38	QZA000000000000000038	AB	38	970101123452	1	activated	DSN-0001	1796393522000	2	\N	\N
39	QZA000000000000000039	AB	39	970101123452	1	activated	DSN-0001	1796393523000	2	\N	\N
40	QZA000000000000000040	AB	40	970101123452	1	activated	DSN-0001	1796393524000	2	\N	\N
61	QZB000000000000000001	AC	1	980202543215	2	activated	DSN-0001	1796395315000	3	\N	\N
62	QZB000000000000000002	AC	2	980202543215	2	activated	DSN-0001	1796395316000	3	\N	\N
63	QZB000000000000000003	AC	3	980202543215	2	activated	DSN-0001	1796395317000	3	\N	\N
64	QZB000000000000000004	AC	4	980202543215	2	activated	DSN-0001	1796395318000	3	\N	\N
41	QZA000000000000000041	AB	41	970101123452	1	writtenOff	\N	\N	\N	1796396515000	damaged
42	QZA000000000000000042	AB	42	970101123452	1	writtenOff	\N	\N	\N	1796396515000	damaged
71	QZB000000000000000011	AC	11	980202543215	2	issued	\N	\N	\N	\N	\N
72	QZB000000000000000012	AC	12	980202543215	2	issued	\N	\N	\N	\N	\N
1	QZA000000000000000001	AB	1	970101123452	1	activated	DSN-0001	1796389915000	1	\N	\N
2	QZA000000000000000002	AB	2	970101123452	1	activated	DSN-0001	1796389916000	1	\N	\N
3	QZA000000000000000003	AB	3	970101123452	1	activated	DSN-0001	1796389917000	1	\N	\N
4	QZA000000000000000004	AB	4	970101123452	1	activated	DSN-0001	1796389918000	1	\N	\N
5	QZA000000000000000005	AB	5	970101123452	1	activated	DSN-0001	1796389919000	1	\N	\N
6	QZA000000000000000006	AB	6	970101123452	1	activated	DSN-0001	1796389920000	1	\N	\N
7	QZA000000000000000007	AB	7	970101123452	1	activated	DSN-0001	1796389921000	1	\N	\N
8	QZA000000000000000008	AB	8	970101123452	1	activated	DSN-0001	1796389922000	1	\N	\N
9	QZA000000000000000009	AB	9	970101123452	1	activated	DSN-0001	1796389923000	1	\N	\N
10	QZA000000000000000010	AB	10	970101123452	1	activated	DSN-0001	1796389924000	1	\N	\N
11	QZA000000000000000011	AB	11	970101123452	1	activated	DSN-0001	1796389925000	1	\N	\N
12	QZA000000000000000012	AB	12	970101123452	1	activated	DSN-0001	1796389926000	1	\N	\N
13	QZA000000000000000013	AB	13	970101123452	1	activated	DSN-0001	1796389927000	1	\N	\N
14	QZA000000000000000014	AB	14	970101123452	1	activated	DSN-0001	1796389928000	1	\N	\N
15	QZA000000000000000015	AB	15	970101123452	1	activated	DSN-0001	1796389929000	1	\N	\N
16	QZA000000000000000016	AB	16	970101123452	1	activated	DSN-0001	1796389930000	1	\N	\N
17	QZA000000000000000017	AB	17	970101123452	1	activated	DSN-0001	1796389931000	1	\N	\N
18	QZA000000000000000018	AB	18	970101123452	1	activated	DSN-0001	1796389932000	1	\N	\N
19	QZA000000000000000019	AB	19	970101123452	1	activated	DSN-0001	1796389933000	1	\N	\N
20	QZA000000000000000020	AB	20	970101123452	1	activated	DSN-0001	1796389934000	1	\N	\N
21	QZA000000000000000021	AB	21	970101123452	1	activated	DSN-0001	1796389935000	1	\N	\N
22	QZA000000000000000022	AB	22	970101123452	1	activated	DSN-0001	1796389936000	1	\N	\N
23	QZA000000000000000023	AB	23	970101123452	1	activated	DSN-0001	1796389937000	1	\N	\N
24	QZA000000000000000024	AB	24	970101123452	1	activated	DSN-0001	1796389938000	1	\N	\N
25	QZA000000000000000025	AB	25	970101123452	1	activated	DSN-0001	1796389939000	1	\N	\N
26	QZA000000000000000026	AB	26	970101123452	1	activated	DSN-0001	1796389940000	1	\N	\N
27	QZA000000000000000027	AB	27	970101123452	1	activated	DSN-0001	1796389941000	1	\N	\N
28	QZA000000000000000028	AB	28	970101123452	1	activated	DSN-0001	1796389942000	1	\N	\N
29	QZA000000000000000029	AB	29	970101123452	1	activated	DSN-0001	1796389943000	1	\N	\N
30	QZA000000000000000030	AB	30	970101123452	1	activated	DSN-0001	1796389944000	1	\N	\N
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
v1-registrar	1796397113842
v2-reports	1796397113848
\.


--
-- Data for Name: waybill; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill (id, number, body_hash, date, issued_on, month, application_number, application_date, recipient_bin, recipient_name, product_name, product_type, capacity_ml, quantity, recorded_at) FROM stdin;
1	WB-FIX-1	\\x2328fdf35cf8e4e7367e0a4fb745a71fc0d4b154afc00b33f59579ef1ce893f5	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-1	2026-12-04	970101123452	Fixture Distillery LLP	Vodka Fixture	vodka	500	60	1796397115165
2	WB-FIX-2	\\x009452f1c2afc55156bc7f97a16481ce2be46661f8658a36df8ecb1009900f39	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-2	2026-12-04	980202543215	Fixture Distillery LLP	Vodka Fixture	vodka	500	12	1796397115186
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

\unrestrict W4DnREpAVy1uAYIVUi4yrhY0v9WVYjjotbXAiho2aD3I2xdybs7DXfE4CuhS3K2

